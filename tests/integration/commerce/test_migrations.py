"""Migrations build the schema the code expects, on both databases, and reverse cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from commerce.adapters.db import downgrade, make_engine, upgrade
from commerce.adapters.orm import metadata


def test_schema_after_upgrade_matches_the_mapping(scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(scratch_url: str) -> None:
    downgrade(scratch_url, "base")
    engine = make_engine(scratch_url)
    assert "products" not in inspect(engine).get_table_names()
    upgrade(scratch_url)
    assert {"products", "users", "outbox"} <= set(inspect(engine).get_table_names())
    engine.dispose()
