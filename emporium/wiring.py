"""The engines of one process (:class:`Container`), built from Settings by
``emporium.engines`` and checked at start-up.

A wrong or unreachable URL fails here, with the setting's name and what was tried, rather than
on the first request that happens to need the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.cache import Cache, cache_from_url
from commerce.adapters.db import make_engine, make_session_factory
from emporium.engines import (
    EngineUnavailable,
    build_bus,
    build_mailer,
    build_payments,
    build_search,
    database_health,
    load_fraud_model,
    redact,
)
from emporium.health_watch import WatchedHealth
from emporium.settings import Settings
from pipelines.events import EventBus

if TYPE_CHECKING:  # the model side (pandas, scipy) is imported when a container is built
    from emporium.champion import Champion
    from models.serving import RecommendationService


def _check(setting: str, url: str, health: dict[str, object]) -> None:
    if not health.get("healthy"):
        raise EngineUnavailable(setting, url, str(health.get("error", "not healthy")))


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

    @property
    def login_limits(self) -> dict[str, Any]:
        """``LoginRateLimiter``'s limits from the settings (EMPORIUM_AUTH__...)."""
        auth = self.settings.auth
        return {
            "per_account": auth.logins_per_account,
            "per_address": auth.logins_per_address,
            "window_s": auth.limit_window_minutes * 60,
            "registrations_per_address": auth.registrations_per_address,
            "resets": (auth.resets_per_email, auth.resets_per_address),
        }

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
        "events": lambda: build_bus(urls["events"]),
        "search": lambda: build_search(settings),
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
        {"fraud_model": load_fraud_model(settings)},
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
