"""Migrations apply, and a row goes in and comes back, on SQLite and on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from commerce.adapters.db import make_engine, make_session_factory, upgrade
from commerce.domain.products import Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'roundtrip.db'}"
        return
    admin_url = request.getfixturevalue("postgres_url")
    name = f"roundtrip_{unique}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_then_write_and_read_a_product(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    assert {"products", "outbox"} <= set(inspect(engine).get_table_names())
    sessions = make_session_factory(engine)
    name = "'; DROP TABLE products; -- O'Brien's mug"
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.products.add(Product(sku="85123A", name=name, price=Decimal("2.55"), currency="GBP"))
        uow.commit()
    with SqlAlchemyUnitOfWork(sessions) as uow:
        product = uow.products.get("85123A")
    engine.dispose()
    assert product is not None
    assert (product.sku, product.name, product.price) == ("85123A", name, Decimal("2.55"))


def test_migrations_are_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)


@pytest.mark.postgres
def test_postgres_connections_carry_time_limits_beside_the_urls_own_options(
    postgres_url: str, unique: str
) -> None:
    """A database that stops answering costs a request seconds: statements and lock waits have
    server-side limits, added to a test schema's search_path rather than replacing it."""
    from db_support import with_options
    from sqlalchemy.exc import OperationalError

    from commerce.adapters.db import create_schema, drop_schema

    url = create_schema(postgres_url, f"limits_{unique}")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            shown = {k: conn.execute(text(f"SHOW {k}")).scalar_one()
                     for k in ("statement_timeout", "lock_timeout", "search_path")}  # fmt: skip
            conn.execute(text("CREATE TABLE t (id int primary key)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.commit()
        assert shown == {"statement_timeout": "30s", "lock_timeout": "10s",
                         "search_path": f"limits_{unique}"}  # fmt: skip
        tuned = make_engine(with_options(url, "-c lock_timeout=1500"))  # the URL's options win
        with tuned.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "1500ms"
        tuned.dispose()
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(text("SELECT id FROM t WHERE id = 1 FOR UPDATE"))
            waiter.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                waiter.execute(text("SELECT id FROM t WHERE id = 1 FOR UPDATE"))
    finally:
        engine.dispose()
        drop_schema(postgres_url, f"limits_{unique}")
