"""The one settings object.

Every value comes from an ``EMPORIUM_``-prefixed environment variable (nested sections use a
double underscore: ``EMPORIUM_DATABASE__URL``) or a ``.env`` file. Left empty, each engine URL
falls back to its embedded default under ``state_dir``, so nothing needs a server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseModel):
    """Relational data: SQLite file by default, ``postgresql+psycopg://…`` in production."""

    url: str = ""


TOPIC_PATTERN = r"^[A-Za-z0-9._-]{1,249}$"


class EventsSettings(BaseModel):
    """Event bus: the on-disk log by default, ``kafka://host:port[,host:port]`` for Kafka."""

    url: str = ""
    #: Kafka's rule for topic names (the on-disk log makes each a directory, so no '/' either).
    clickstream_topic: str = Field(default="clickstream", pattern=TOPIC_PATTERN)
    commerce_topic: str = Field(default="commerce", pattern=TOPIC_PATTERN)
    partitions: int = Field(default=3, ge=1)
    #: The worker deletes outbox rows published this long ago (the bus and lake have them).
    outbox_keep_hours: float = Field(default=168.0, gt=0)
    #: The worker deletes on-disk log segments written this long ago (unset: keeps them all;
    #: Kafka has its own ``retention.ms``).
    log_keep_hours: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _two_topics(self) -> EventsSettings:
        for name in ("clickstream_topic", "commerce_topic"):
            if getattr(self, name) in (".", ".."):  # Kafka refuses them; the log would escape
                raise ValueError(f"{name} may not be '.' or '..'")
        # One topic for both would feed client events to the search indexer and the ingest
        # of orders, and commerce events to the clickstream's readers.
        if self.clickstream_topic == self.commerce_topic:
            raise ValueError(
                f"clickstream_topic and commerce_topic are both {self.commerce_topic!r}: "
                "client and commerce events need a topic each"
            )
        return self


class SearchSettings(BaseModel):
    """Search: in-process index by default, ``opensearch://…`` or ``elasticsearch://…``."""

    url: str = ""
    #: Lowercase letters, digits, '-' and '_': an OpenSearch index name, and safe to quote in
    #: the embedded index's SQL.
    index_alias: str = Field(default="products", pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    #: Re-rank keyword results with MiniLM embeddings (``HybridSearchEngine``; the optional
    #: ``semantic`` extra, which ``make`` installs). The API embeds the catalog at start-up.
    semantic: bool = False


class CacheSettings(BaseModel):
    """Cache and sessions: in-process by default, ``redis://…`` for Redis."""

    url: str = ""


class MlflowSettings(BaseModel):
    """Tracking and registry: SQLite + local artifacts by default, or a tracking server URI.

    ``registry_uri``, when set, is where models are registered instead of the tracking store:
    a database (``sqlite:///…``, ``postgresql://…``), whose versions point at the files of
    the runs in the tracking store. An MLflow server is refused as a registry apart from the
    tracking server: it accepts only versions of runs in its own store.
    """

    tracking_uri: str = ""
    registry_uri: str = ""
    experiment: str = "emporium"

    @model_validator(mode="after")
    def _registry_can_hold_the_runs(self) -> MlflowSettings:
        registry = self.registry_uri.rstrip("/")
        server = urlparse(registry).scheme in ("http", "https")
        if server and registry != self.tracking_uri.rstrip("/"):
            raise ValueError(
                f"EMPORIUM_MLFLOW__REGISTRY_URI={registry} is an MLflow server other than the "
                "tracking store (EMPORIUM_MLFLOW__TRACKING_URI="
                f"{self.tracking_uri or 'the embedded store'}): a server registers only runs "
                "it tracks itself. Set the tracking URI to it too, or use a database as the "
                "registry (sqlite:///..., postgresql://...)"
            )
        return self


class SparkSettings(BaseModel):
    """Compute: ``local[*]`` by default, or a cluster master such as ``spark://host:7077``."""

    master: str = "local[*]"
    driver_memory: str = Field(default="2g", pattern=r"^[0-9]+[kmgtKMGT]?$")  # JVM -Xmx syntax
    shuffle_partitions: int = Field(default=4, ge=1)


class AuthSettings(BaseModel):
    """JWT signing. The secret has no default outside dev mode."""

    jwt_secret: SecretStr | None = None
    issuer: str = "emporium"
    audience: str = "emporium-api"
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=14, ge=1)
    #: How long a mailed password-reset link works.
    reset_token_minutes: int = Field(default=30, ge=1)
    #: Data exports (``GET /users/me/export``) allowed per account per hour.
    exports_per_hour: int = Field(default=5, ge=1)
    #: The attempt limits of one window (``limit_window_minutes``): logins (and password
    #: checks of a change or an erasure) per account and per client address, registrations
    #: per address, password-reset requests per email and per address.
    limit_window_minutes: int = Field(default=15, ge=1)
    logins_per_account: int = Field(default=10, ge=1)
    logins_per_address: int = Field(default=50, ge=1)
    registrations_per_address: int = Field(default=20, ge=1)
    resets_per_email: int = Field(default=5, ge=1)
    resets_per_address: int = Field(default=20, ge=1)
    #: The shop's web front: reset mails link to ``<storefront_url>/reset-password#token=…``.
    storefront_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://\S+$")


class MailSettings(BaseModel):
    """Outgoing mail (password resets): ``.eml`` files under ``state_dir/mail`` by default,
    ``smtp://[user:password@]host:port[?starttls=true]`` or ``smtps://…`` for a server."""

    url: str = ""
    sender: str = Field(default="emporium <no-reply@localhost>", min_length=3)
    timeout_s: float = Field(default=10.0, gt=0)


class PaymentsSettings(BaseModel):
    """The payment service provider: emporium's HTTPS sandbox (``emporium services up``)."""

    url: str = ""
    ca_file: Path | None = None
    timeout_s: float = Field(default=2.0, gt=0)
    carrier_webhook_secret: SecretStr | None = None


#: ``models.training.TRAINABLE`` (tests check they agree; importing it here would load MLflow).
TrainableModel = Literal[
    "ease", "als", "bpr", "itemknn", "rp3beta", "sequence", "popularity", "ranker"
]


class TrainingSettings(BaseModel):
    """What ``emporium train`` (the emporium_train DAG's step) trains on the gold interactions.

    ``model`` is one of ``models.training.TRAINABLE``; ``ranker`` tunes every family and
    itself on a validation split of the training part first (minutes, not seconds), at most
    every ``retune_days``: in between, the champion ranker's settings are refitted on the new
    data (0: tune every time).
    """

    model: TrainableModel = "ease"
    margin: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    retune_days: float = Field(default=7.0, ge=0.0, allow_inf_nan=False)


class CompactionSettings(BaseModel):
    """What ``emporium compact`` (the emporium_maintenance DAG's step) does to bronze.

    Partitions dated ``min_age_days`` before today (UTC) or earlier have their files under
    half of ``target_file_mb`` rewritten into files of about that size; the files they
    replace are deleted ``keep_replaced_minutes`` later (readers that listed them before keep
    reading), by the next run.
    """

    target_file_mb: int = Field(default=128, ge=1)
    min_age_days: int = Field(default=1, ge=0)
    keep_replaced_minutes: float = Field(default=60.0, ge=0.0, allow_inf_nan=False)


class ServeSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


# Dev mode only: outside dev, Settings refuses to start without real secrets.
DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"  # noqa: S105
DEV_WEBHOOK_SECRET = "dev-only-carrier-webhook-secret"  # noqa: S105
MIN_JWT_SECRET_BYTES = 32  # HS256 wants a key of at least its output size
MIN_WEBHOOK_SECRET_BYTES = 16


class Settings(BaseSettings):
    """All of emporium's configuration, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="EMPORIUM_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    mode: Literal["dev", "prod"] = "dev"
    state_dir: Path = Path("var")
    data_dir: Path = REPO_ROOT.parent / "shared" / "data"

    database: DatabaseSettings = DatabaseSettings()
    events: EventsSettings = EventsSettings()
    search: SearchSettings = SearchSettings()
    cache: CacheSettings = CacheSettings()
    mlflow: MlflowSettings = MlflowSettings()
    spark: SparkSettings = SparkSettings()
    auth: AuthSettings = AuthSettings()
    payments: PaymentsSettings = PaymentsSettings()
    mail: MailSettings = MailSettings()
    serve: ServeSettings = ServeSettings()
    training: TrainingSettings = TrainingSettings()
    compaction: CompactionSettings = CompactionSettings()

    @model_validator(mode="after")
    def _secrets_outside_dev(self) -> Settings:
        if self.auth.jwt_secret is None:
            if self.mode != "dev":
                raise ValueError(
                    "EMPORIUM_AUTH__JWT_SECRET must be set when EMPORIUM_MODE is not 'dev'"
                )
            self.auth.jwt_secret = SecretStr(DEV_JWT_SECRET)
        if self.payments.carrier_webhook_secret is None:
            if self.mode != "dev":
                raise ValueError(
                    "EMPORIUM_PAYMENTS__CARRIER_WEBHOOK_SECRET must be set when EMPORIUM_MODE "
                    "is not 'dev'"
                )
            self.payments.carrier_webhook_secret = SecretStr(DEV_WEBHOOK_SECRET)
        self._secrets_strong_enough()
        return self

    def _secrets_strong_enough(self) -> None:
        """Refused at start-up, not on the first request (a short JWT secret made every
        authenticated call a 500); outside dev, the secrets published in this file are refused
        too: anyone could sign tokens or carrier callbacks with them."""
        assert self.auth.jwt_secret is not None and self.payments.carrier_webhook_secret
        jwt, hook = (
            s.get_secret_value()
            for s in (self.auth.jwt_secret, self.payments.carrier_webhook_secret)
        )
        if len(jwt.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(
                f"EMPORIUM_AUTH__JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes"
            )
        if self.mode == "dev":
            return
        for name, value, published, least in (
            ("EMPORIUM_AUTH__JWT_SECRET", jwt, DEV_JWT_SECRET, MIN_JWT_SECRET_BYTES),
            ("EMPORIUM_PAYMENTS__CARRIER_WEBHOOK_SECRET", hook, DEV_WEBHOOK_SECRET,
             MIN_WEBHOOK_SECRET_BYTES),
        ):  # fmt: skip
            if value == published:
                raise ValueError(f"{name} is the published dev secret: set your own")
            if len(value.encode()) < least:
                raise ValueError(f"{name} must be at least {least} bytes outside dev")

    # --- resolved engine locations (embedded defaults under state_dir) ---------------------

    @property
    def state_path(self) -> Path:
        return self.state_dir.resolve()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.state_path / 'emporium.db'}"

    @property
    def events_url(self) -> str:
        return self.events.url or f"log://{self.state_path / 'events'}"

    @property
    def search_url(self) -> str:
        return self.search.url or f"embedded://{self.state_path / 'search.db'}"

    @property
    def cache_url(self) -> str:
        return self.cache.url or "memory://"

    @property
    def mail_url(self) -> str:
        return self.mail.url or f"file://{self.state_path / 'mail'}"

    @property
    def mlflow_tracking_uri(self) -> str:
        return self.mlflow.tracking_uri or f"sqlite:///{self.state_path / 'mlflow.db'}"

    @property
    def mlflow_registry_uri(self) -> str:
        """Where models are registered: ``mlflow.registry_uri``, else the tracking store."""
        return self.mlflow.registry_uri or self.mlflow_tracking_uri

    @property
    def mlflow_artifact_root(self) -> Path:
        return self.state_path / "mlartifacts"

    @property
    def payments_ca_file(self) -> Path:
        """The sandbox's CA: as configured, else where ``emporium demo`` keeps it."""
        return self.payments.ca_file or self.state_path / "payments-sandbox" / "ca.pem"

    @property
    def fraud_model_path(self) -> Path:
        return self.state_path / "fraud-model.pkl"

    @property
    def lake_path(self) -> Path:
        return self.state_path / "lake"


def get_settings() -> Settings:
    """Read the settings afresh from the environment (cheap; call once per process)."""
    return Settings()
