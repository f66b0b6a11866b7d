"""Each engine built from its setting, the database's sessions for one command, and what
the builders share: the error naming the setting at fault, and URLs with their passwords
hidden. ``emporium.wiring`` assembles the engines of one process from these.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.db import make_engine, make_session_factory
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.settings import Settings
from pipelines.events import EventBus, TopicNames


class EngineUnavailable(RuntimeError):
    """An engine named in the settings cannot be used."""

    code = "engine_unavailable"

    def __init__(self, setting: str, url: str, problem: str) -> None:
        super().__init__(f"{setting}={redact(url)}: {problem}")
        self.setting, self.url, self.problem = setting, url, problem


def redact(url: str) -> str:
    """Hide a password in a URL before it reaches a message or a log."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


@contextmanager
def database_sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on ``database_url`` for one command; the engine is disposed afterwards."""
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def unit_of_work_factory(database_url: str) -> Iterator[Callable[[], SqlAlchemyUnitOfWork]]:
    """Units of work on ``database_url`` for one command (see :func:`database_sessions`)."""
    with database_sessions(database_url) as sessions:
        yield lambda: SqlAlchemyUnitOfWork(sessions)


#: How long a health probe waits for the database before calling it unhealthy.
DATABASE_HEALTH_TIMEOUT_S = 3.0
_probes: weakref.WeakKeyDictionary[Engine, threading.Thread] = weakref.WeakKeyDictionary()


def database_health(
    engine: Engine, timeout_s: float = DATABASE_HEALTH_TIMEOUT_S
) -> dict[str, object]:
    """``select 1`` within ``timeout_s``. A database that accepts connections and never
    answers (stopped, swapping) would hold the caller forever, so the probe runs in its own
    thread; while one is still waiting, the next call reports unhealthy without another."""
    name = engine.dialect.name
    running = _probes.get(engine)
    if running is not None and running.is_alive():
        return {"healthy": False, "engine": name, "error": "the last probe is still waiting"}
    outcome: dict[str, object] = {}

    def probe() -> None:
        try:
            with engine.connect() as conn:
                outcome["healthy"] = conn.execute(text("select 1")).scalar_one() == 1
        except Exception as e:  # noqa: BLE001 - any driver error means "unreachable"
            outcome.update(healthy=False, error=str(e))

    thread = threading.Thread(target=probe, name="database-health", daemon=True)
    _probes[engine] = thread
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        return {"healthy": False, "engine": name, "error": f"no answer within {timeout_s:g} s"}
    return {"engine": name, **outcome}


def event_topics(settings: Settings) -> TopicNames:
    """The topics' names on the bus (EMPORIUM_EVENTS__CLICKSTREAM_TOPIC, __COMMERCE_TOPIC), for
    every producer and consumer: one left on a built-in name would talk past the others."""
    return TopicNames(settings.events.clickstream_topic, settings.events.commerce_topic)


def build_bus(url: str) -> EventBus:
    from pipelines.events.factory import event_bus_from_url

    return event_bus_from_url(url)


def build_payments(settings: Settings) -> Any:
    """The sandbox provider when a payments URL is configured (checkout and the worker's
    reconciliation need one), else None.

    Raises
    ------
    EngineUnavailable
        If its CA file is missing, unreadable or not a certificate.
    """
    if not settings.payments.url:
        return None
    from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider

    ca_file = settings.payments_ca_file
    if not ca_file.is_file():
        raise EngineUnavailable("EMPORIUM_PAYMENTS__CA_FILE", str(ca_file), "no such CA file")
    try:
        return SandboxPaymentProvider(settings.payments.url, ca_file, settings.payments.timeout_s)
    except OSError as e:  # unreadable, or not a certificate
        raise EngineUnavailable("EMPORIUM_PAYMENTS__CA_FILE", str(ca_file), str(e)) from e


def build_mailer(settings: Settings) -> Any:
    """The mailer ``EMPORIUM_MAIL__URL`` names (``.eml`` files under the state dir by
    default). Nothing connects here: an SMTP server is reached per message and by health.

    Raises
    ------
    EngineUnavailable
        If the URL names no mailer.
    """
    from commerce.adapters.mail import mailer_from_url

    try:
        return mailer_from_url(settings.mail_url, settings.mail.timeout_s)
    except ValueError as e:
        raise EngineUnavailable("EMPORIUM_MAIL__URL", settings.mail_url, str(e)) from e


def load_fraud_model(settings: Settings) -> Any:
    from commerce.service_layer.fraud import load_anomaly_model

    return load_anomaly_model(settings.fraud_model_path)


def build_search(settings: Settings) -> Any:
    from commerce.adapters.search.factory import search_engine_from_url

    return search_engine_from_url(
        settings.search_url, alias=settings.search.index_alias, semantic=settings.search.semantic
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other databases (and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparseable URL is reported by the caller
        return None
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


#: MLflow's database stores other than SQLite: a server MLflow reaches through SQLAlchemy.
MLFLOW_DATABASE_SCHEMES = ("postgresql", "mysql", "mssql")


def require_mlflow_stores(settings: Settings) -> None:
    """Connect once to each MLflow store that is a database server, within libpq's connect
    time-out. MLflow itself retries a store it cannot reach ten times over 100 s, logging each
    failure, and waits for ever on one that never answers.

    Raises
    ------
    EngineUnavailable
        Naming the setting whose store cannot be reached (or whose driver is missing).
    """
    from sqlalchemy import create_engine, pool

    from commerce.adapters.db import connection_limits, error_line

    stores = {
        settings.mlflow_registry_uri: "EMPORIUM_MLFLOW__REGISTRY_URI",
        settings.mlflow_tracking_uri: "EMPORIUM_MLFLOW__TRACKING_URI",
    }  # one probe, named after the tracking store, when the registry is the tracking store
    for uri, setting in stores.items():
        scheme = uri.split("://", 1)[0].split("+", 1)[0].lower()
        if scheme not in MLFLOW_DATABASE_SCHEMES:
            continue
        limits = connection_limits() if scheme == "postgresql" else {}
        try:
            engine = create_engine(uri, poolclass=pool.NullPool, connect_args=limits)
            with engine.connect():
                pass
            engine.dispose()
        except Exception as e:  # any driver error (or a driver missing): the store is unusable
            raise EngineUnavailable(setting, uri, f"cannot connect: {error_line(e)}") from e
