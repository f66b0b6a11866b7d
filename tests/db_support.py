"""A migrated, empty database per test run, on SQLite or on the real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from commerce.adapters.db import create_schema, drop_schema, upgrade


def fresh_database(
    request: pytest.FixtureRequest, backend: str, tmp: Path, prefix: str = "test_commerce"
) -> Iterator[str]:
    """Yield a migrated database URL for ``backend``; a PostgreSQL schema is dropped after.

    Each run gets its own uniquely named schema, so runs against a shared server never collide.
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'commerce.db'}"
        upgrade(url)
        yield url
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create_schema(base, schema)
    try:
        upgrade(url)
        yield url
    finally:
        drop_schema(base, schema)


def with_options(url: str, options: str) -> str:
    """``url`` with ``options`` (``-c name=value`` …) after the ones it carries."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    given = parsed.query.get("options", "")
    merged = " ".join([*([given] if isinstance(given, str) else given), options]).strip()
    return parsed.update_query_dict({"options": merged}).render_as_string(hide_password=False)
