"""Builds the engines named in Settings, checking each one at start-up.

A wrong or unreachable URL fails here, with the setting's name and what was tried, rather than
on the first request that happens to need the engine.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.cache import Cache, cache_from_url
from commerce.adapters.db import make_engine, make_session_factory
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.health_watch import WatchedHealth
from emporium.settings import Settings
from pipelines.events import EventBus, TopicNames

if TYPE_CHECKING:  # the model side (pandas, scipy) is imported when a container is built
    from emporium.champion import Champion
    from models.serving import RecommendationService

log = logging.getLogger(__name__)


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


def _check(setting: str, url: str, health: dict[str, object]) -> None:
    if not health.get("healthy"):
        raise EngineUnavailable(setting, url, str(health.get("error", "not healthy")))


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


#: The engines without which this API serves nothing useful: ``/health`` answers 503 only when
#: one of them is down. Every other engine costs only the requests that need it a 503 (search,
#: login's rate limit, posted events, payments, recommendations without a loaded champion),
#: and taking every instance out of a load balancer for it would stop cart and checkout too.
REQUIRED_ENGINES = frozenset({"database"})


@dataclass
class Container:
    """The engines of one process. Build with :func:`build_container`."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    cache: Cache
    event_bus: EventBus
    search: Any
    payment_provider: Any = None
    extras: dict[str, Any] = field(default_factory=dict)
    champion: Champion | None = None
    mailer: Any = None
    mail_watch: WatchedHealth | None = None  # the mail server's checks, once the API runs

    def recommendations(self) -> RecommendationService | None:
        """The champion recommender (loaded from the registry on first use), or None."""
        return self.champion.get() if self.champion is not None else None

    @property
    def carrier_webhook_secret(self) -> str:
        secret = self.settings.payments.carrier_webhook_secret
        assert secret is not None  # Settings fills it in dev mode and requires it otherwise
        return secret.get_secret_value()

    @property
    def jwt_secret(self) -> str:
        secret = self.settings.auth.jwt_secret
        assert secret is not None  # Settings fills it in dev mode and requires it otherwise
        return secret.get_secret_value()

    @property
    def clickstream_topic(self) -> str:
        return self.settings.events.clickstream_topic

    @property
    def password_reset(self) -> Any:
        """The reset mails' set-up (``commerce.service_layer.password_reset.ResetConfig``),
        or None without a mailer."""
        if self.mailer is None:
            return None
        from commerce.service_layer.password_reset import ResetConfig

        auth = self.settings.auth
        minutes = timedelta(minutes=auth.reset_token_minutes)
        return ResetConfig(self.mailer, self.settings.mail.sender, auth.storefront_url, minutes)

    @property
    def jwt_issuer(self) -> str:
        return self.settings.auth.issuer

    @property
    def jwt_audience(self) -> str:
        return self.settings.auth.audience

    @property
    def access_token_minutes(self) -> int:
        return self.settings.auth.access_token_minutes

    @property
    def refresh_token_days(self) -> int:
        return self.settings.auth.refresh_token_days

    @property
    def exports_per_hour(self) -> int:
        return self.settings.auth.exports_per_hour

    def health(self) -> dict[str, dict[str, object]]:
        """Each engine's health, the model registry's included (its latest answer, ``healthy``
        None until it has given one: see :meth:`start`), each marked ``required`` (see
        ``serving.routers.health`` for what makes the API unhealthy)."""
        report = {**self.engine_health(), **self._registry_health()}
        for name, engine in report.items():
            engine["required"] = name in REQUIRED_ENGINES
        return report

    def engine_health(self) -> dict[str, dict[str, object]]:
        """The engines built from the settings, each checked now (the registry is not: the
        API starts and serves without it)."""
        return {
            "database": {**database_health(self.engine), "url": redact(self.settings.database_url)},
            "events": {**self.event_bus.health(), "url": self.settings.events_url},
            "search": {**self.search.health(), "url": self.settings.search_url},
            "cache": {**self.cache.health(), "url": redact(self.settings.cache_url)},
            **self._payments_health(),
            **self._mail_health(),
        }

    def _mail_health(self) -> dict[str, dict[str, object]]:
        """Once the API runs (:meth:`start`), the mail server's latest answer to a check on
        a background thread; before that (the start-up check), a check now."""
        if self.mailer is None:
            return {}
        watch = self.mail_watch
        report = watch.report() if watch is not None else self.mailer.health()
        return {"mail": {**report, "url": redact(self.settings.mail_url)}}

    def _registry_health(self) -> dict[str, dict[str, object]]:
        if self.champion is None:
            return {}
        uri = self.settings.mlflow_registry_uri
        report = self.champion.health()
        if "error" in report:
            report["error"] = str(report["error"]).replace(uri, redact(uri))
        return {"registry": {**report, "url": redact(uri)}}

    def _payments_health(self) -> dict[str, dict[str, object]]:
        if self.payment_provider is None:
            return {}
        return {"payments": {**self.payment_provider.health(), "url": self.settings.payments.url}}

    def start(self) -> None:
        """Start what runs beside the API's requests: the registry's and the mail server's
        health checks, so that ``/health`` only reads their latest answers (:meth:`close`
        stops them)."""
        if self.champion is not None:
            self.champion.watch_registry()
        if self.mailer is not None and self.mail_watch is None:
            self.mail_watch = WatchedHealth("mail", self.mailer.health).start()

    def close(self) -> None:
        if self.champion is not None:
            self.champion.stop_watching()
        if self.mail_watch is not None:
            self.mail_watch.stop()
        for closable in (self.event_bus, self.search, self.cache, self.payment_provider):
            close = getattr(closable, "close", None)
            if close is not None:
                close()
        self.engine.dispose()


def event_topics(settings: Settings) -> TopicNames:
    """The topics' names on the bus (EMPORIUM_EVENTS__CLICKSTREAM_TOPIC, __COMMERCE_TOPIC), for
    every producer and consumer: one left on a built-in name would talk past the others."""
    return TopicNames(settings.events.clickstream_topic, settings.events.commerce_topic)


def _build_bus(url: str) -> EventBus:
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


def _load_fraud_model(settings: Settings) -> Any:
    from commerce.service_layer.fraud import load_anomaly_model

    return load_anomaly_model(settings.fraud_model_path)


def _build_search(settings: Settings) -> Any:
    from commerce.adapters.search.factory import search_engine_from_url

    return search_engine_from_url(
        settings.search_url, alias=settings.search.index_alias, semantic=settings.search.semantic
    )


def embed_catalog_in_background(container: Container) -> threading.Thread | None:
    """With semantic search on, embed every catalog product in a daemon thread.

    The hybrid re-rank embeds a product on its first sight as a candidate anyway, but a
    product's vector is smoothed towards its nearest neighbours among the products embedded so
    far, so the API embeds the whole catalog once at start-up. Returns the thread, or None
    when semantic search is off.
    """
    if not container.settings.search.semantic or not hasattr(container.search, "remember"):
        return None
    thread = threading.Thread(
        target=_embed_catalog, args=(container,), name="embed-catalog", daemon=True
    )
    thread.start()
    return thread


def _embed_catalog(container: Container) -> None:
    """Embed the catalog, starting from the vectors saved by the last run (only new or
    edited products are embedded again), and save them for the next."""
    from emporium.search_indexing import catalog_documents

    search = container.search
    saved = container.settings.state_path / "search-vectors.npz"
    started = time.perf_counter()
    try:
        docs = list(catalog_documents(container.session_factory))
        try:
            restored = search.restore(saved, only={doc.product_id for doc in docs})
        except ValueError:
            log.warning("semantic search: %s is unreadable; embedding from scratch", saved)
            restored = 0
        search.remember(docs)
        search.save(saved)
    except Exception:
        log.exception(
            "semantic search: embedding the catalog failed; "
            "products are embedded on first sight instead"
        )
        return
    elapsed = time.perf_counter() - started
    log.info(
        "semantic search: %d products ready in %.0f s (%d vectors from %s)",
        len(docs), elapsed, restored, saved,
    )  # fmt: skip


SETTINGS_BY_ENGINE = {
    "database": "EMPORIUM_DATABASE__URL",
    "events": "EMPORIUM_EVENTS__URL",
    "search": "EMPORIUM_SEARCH__URL",
    "cache": "EMPORIUM_CACHE__URL",
}


def _urls(settings: Settings) -> dict[str, str]:
    return {
        "database": settings.database_url,
        "events": settings.events_url,
        "search": settings.search_url,
        "cache": settings.cache_url,
    }


def build_container(settings: Settings, check: bool = True) -> Container:
    """Build every engine from ``settings``; with ``check``, fail fast on an unusable one."""
    settings.state_path.mkdir(parents=True, exist_ok=True)
    urls = _urls(settings)
    builders = {
        "database": lambda: make_engine(urls["database"]),
        "events": lambda: _build_bus(urls["events"]),
        "search": lambda: _build_search(settings),
        "cache": lambda: cache_from_url(urls["cache"]),
    }
    built: dict[str, Any] = {}
    for name, build in builders.items():
        try:
            built[name] = build()
        except Exception as e:
            raise EngineUnavailable(SETTINGS_BY_ENGINE[name], urls[name], str(e)) from e
    from emporium.champion import Champion

    engine = built["database"]
    container = Container(
        settings,
        engine,
        make_session_factory(engine),
        built["cache"],
        built["events"],
        built["search"],
        build_payments(settings),
        {"fraud_model": _load_fraud_model(settings)},
        Champion(settings),
        build_mailer(settings),
    )
    if check:
        report = container.engine_health()
        for name, setting in SETTINGS_BY_ENGINE.items():
            _check(setting, urls[name], report[name])
        if "payments" in report:
            _check("EMPORIUM_PAYMENTS__URL", settings.payments.url, report["payments"])
        _check("EMPORIUM_MAIL__URL", settings.mail_url, report["mail"])
    return container


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
