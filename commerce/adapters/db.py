"""Engines, sessions and schema migrations for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:  # Alembic is imported when migrating, not by every process using the database
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: PostgreSQL bounds, so a database that stops answering costs a request seconds, not forever:
#: connecting; a statement (enforced by the server: an overloaded or locked database); waiting
#: for a row lock; data sent and never acknowledged (a host gone from the network); and
#: waiting for a free pooled connection.
PG_CONNECT_TIMEOUT_S = 5
PG_STATEMENT_TIMEOUT_MS = 30_000
PG_LOCK_TIMEOUT_MS = 10_000
PG_TCP_USER_TIMEOUT_MS = 15_000
POOL_TIMEOUT_S = 10


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    """An engine tuned for the backend.

    SQLite: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` so a transaction takes
    the write lock up front — two writers then queue on the busy timeout instead of failing
    with "database is locked" when one upgrades a read lock. PostgreSQL: ``pool_pre_ping``
    and the ``PG_*`` time limits above (a statement over its limit fails with
    ``OperationalError``, which the API answers as 503).
    """
    if is_sqlite(url):
        return _sqlite_engine(url, echo)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=POOL_TIMEOUT_S,
        echo=echo,
        connect_args=_postgres_limits(url),
    )


def _postgres_limits(url: str) -> dict[str, Any]:
    # Before any ``options`` the URL carries (a test schema's search_path), so a limit given
    # there wins: ``?options=-c%20lock_timeout%3D2000`` waits 2 s for a row lock.
    given = make_url(url).query.get("options", "")
    options = " ".join(
        [f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}", f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}",
         *([given] if isinstance(given, str) else given)]
    )  # fmt: skip
    return {**connection_limits(), "options": options.strip()}


def connection_limits() -> dict[str, Any]:
    """libpq's bounds on connecting and on a host gone from the network, for every PostgreSQL
    connection: the migrations' too, which have no statement or lock time-out (a migration
    may rightly take long) but must not wait for ever on a server that never answers."""
    return {
        "connect_timeout": PG_CONNECT_TIMEOUT_S,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": PG_TCP_USER_TIMEOUT_MS,
    }


#: PostgreSQL's ``lock_not_available``: a row lock not granted within ``lock_timeout``.
PG_LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(e: Exception) -> bool:
    """Whether ``e`` (a SQLAlchemy error) is a lock wait that ran out (PostgreSQL's
    ``PG_LOCK_TIMEOUT_MS``), as opposed to a database that is down or a statement too slow."""
    return getattr(getattr(e, "orig", None), "sqlstate", None) == PG_LOCK_NOT_AVAILABLE


def error_line(e: Exception) -> str:
    """A database error's own first line, without SQLAlchemy's SQL echo and background link."""
    orig = getattr(e, "orig", None)
    return (str(orig or e).strip().splitlines() or [type(e).__name__])[0]


def _sqlite_engine(url: str, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (handlers return them to callers)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def alembic_config(url: str) -> Config:
    """An Alembic config built in code: no alembic.ini needed at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run ``alembic upgrade head`` (or to ``revision``) against ``url``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    """Run ``alembic downgrade`` against ``url`` (tests use it to prove reversibility)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def with_search_path(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use ``schema`` first (isolated test schemas)."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def create_schema(url: str, schema: str) -> str:
    """Create an empty PostgreSQL schema and return a URL that uses it (tests, benches)."""
    if not schema.replace("_", "").isalnum():
        raise ValueError("schema names are letters, digits and underscores")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return with_search_path(url, schema)


def drop_schema(url: str, schema: str) -> None:
    if not schema.replace("_", "").isalnum():
        raise ValueError("schema names are letters, digits and underscores")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
