"""Every commerce integration test runs twice: on SQLite and on the real PostgreSQL.

PostgreSQL runs get a fresh schema with a unique name per test session (dropped afterwards),
so concurrent runs against the shared server never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from db_support import fresh_database
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.db import (
    make_engine,
    make_session_factory,
)
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from fresh_database(request, request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(params=BACKENDS)
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for one test (migration tests change the schema)."""
    yield from fresh_database(request, request.param, tmp_path)


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def uow_factory(
    session_factory: sessionmaker[Session],
) -> Callable[[], SqlAlchemyUnitOfWork]:
    return lambda: SqlAlchemyUnitOfWork(session_factory)


@pytest.fixture
def ref() -> Callable[[str], str]:
    """``ref("SKU")`` -> a unique reference, so tests sharing a database never collide."""
    return lambda prefix="T": f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pg(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, Callable[[], SqlAlchemyUnitOfWork]]]:
    """A PostgreSQL database with an engine of its own, for race tests that listen on its
    cursor (mark them ``postgres``)."""
    database = fresh_database(request, "postgres", tmp_path, "test_race")
    engine = make_engine(next(database))
    sessions = make_session_factory(engine)
    yield engine, lambda: SqlAlchemyUnitOfWork(sessions)
    engine.dispose()
    next(database, None)  # drops the schema
