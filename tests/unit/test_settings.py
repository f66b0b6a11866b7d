from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from emporium.settings import Settings


def test_embedded_defaults_need_no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    settings = Settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'emporium.db'}"
    assert settings.events_url == f"log://{tmp_path / 'events'}"
    assert settings.search_url.startswith("embedded://")
    assert settings.cache_url == "memory://"
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert settings.spark.master == "local[*]"


def test_nested_sections_read_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", "postgresql+psycopg://u:p@127.0.0.1:5/db")
    monkeypatch.setenv("EMPORIUM_EVENTS__URL", "kafka://127.0.0.1:9092")
    monkeypatch.setenv("EMPORIUM_SPARK__MASTER", "spark://10.0.0.1:7077")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u:p@127.0.0.1:5/db"
    assert settings.events_url == "kafka://127.0.0.1:9092"
    assert settings.spark.master == "spark://10.0.0.1:7077"


def test_secret_has_no_default_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_MODE", "prod")
    monkeypatch.delenv("EMPORIUM_AUTH__JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="EMPORIUM_AUTH__JWT_SECRET"):
        Settings()
    monkeypatch.setenv("EMPORIUM_AUTH__JWT_SECRET", "s" * 40)
    with pytest.raises(ValidationError, match="EMPORIUM_PAYMENTS__CARRIER_WEBHOOK_SECRET"):
        Settings()
    monkeypatch.setenv("EMPORIUM_PAYMENTS__CARRIER_WEBHOOK_SECRET", "w" * 40)
    assert Settings().auth.jwt_secret is not None


@pytest.mark.parametrize(
    ("jwt", "hook", "message"),
    [
        ("short", "w" * 40, "JWT_SECRET must be at least 32 bytes"),
        ("dev-only-secret-change-me-0123456789abcdef", "w" * 40, "JWT_SECRET is the published"),
        ("s" * 40, "dev-only-carrier-webhook-secret", "WEBHOOK_SECRET is the published"),
        ("s" * 40, "x", "WEBHOOK_SECRET must be at least 16 bytes"),
    ],
)
def test_weak_or_published_secrets_are_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, jwt: str, hook: str, message: str
) -> None:
    """A short JWT secret passed here and made every authenticated request a 500; prod mode
    took the dev secrets published in the repository."""
    monkeypatch.setenv("EMPORIUM_MODE", "prod")
    monkeypatch.setenv("EMPORIUM_AUTH__JWT_SECRET", jwt)
    monkeypatch.setenv("EMPORIUM_PAYMENTS__CARRIER_WEBHOOK_SECRET", hook)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_a_short_jwt_secret_is_refused_in_dev_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_AUTH__JWT_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings()


def test_dev_mode_gets_a_dev_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMPORIUM_AUTH__JWT_SECRET", raising=False)
    secret = Settings().auth.jwt_secret
    assert secret is not None and "dev" in secret.get_secret_value()


@pytest.mark.parametrize("alias", ['a"b', "", "Products", "a/b"])
def test_an_index_alias_no_engine_can_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, alias: str
) -> None:
    """A quote broke the embedded index's SQL; an empty alias made index ``-v2026…``."""
    monkeypatch.setenv("EMPORIUM_SEARCH__INDEX_ALIAS", alias)
    with pytest.raises(ValidationError, match="index_alias"):
        Settings()


def test_the_training_model_setting_names_exactly_the_trainable_models() -> None:
    from typing import get_args

    from emporium.settings import TrainableModel
    from models.training import TRAINABLE

    assert set(get_args(TrainableModel)) == set(TRAINABLE)


@pytest.mark.parametrize(
    ("var", "value"), [("MODEL", "svd"), ("MARGIN", "-0.1"), ("MARGIN", "nan")]
)
def test_a_training_setting_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(f"EMPORIUM_TRAINING__{var}", value)
    with pytest.raises(ValidationError, match="training"):
        Settings()


@pytest.mark.parametrize("topic", ["", "a/b", "..", "click stream", "x" * 250])
def test_a_topic_name_kafka_or_the_log_cannot_hold_is_refused(
    monkeypatch: pytest.MonkeyPatch, topic: str
) -> None:
    monkeypatch.setenv("EMPORIUM_EVENTS__CLICKSTREAM_TOPIC", topic)
    with pytest.raises(ValidationError, match="clickstream_topic"):
        Settings()


def test_one_topic_for_both_kinds_of_event_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_EVENTS__CLICKSTREAM_TOPIC", "shop.events")
    monkeypatch.setenv("EMPORIUM_EVENTS__COMMERCE_TOPIC", "shop.events")
    with pytest.raises(ValidationError, match="need a topic each"):
        Settings()
    monkeypatch.setenv("EMPORIUM_EVENTS__COMMERCE_TOPIC", "shop.orders")
    assert Settings().events.commerce_topic == "shop.orders"


def test_the_registry_is_the_tracking_store_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("EMPORIUM_MLFLOW__TRACKING_URI", raising=False)
    monkeypatch.delenv("EMPORIUM_MLFLOW__REGISTRY_URI", raising=False)
    assert Settings().mlflow_registry_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("EMPORIUM_MLFLOW__REGISTRY_URI", f"sqlite:///{tmp_path / 'registry.db'}")
    assert Settings().mlflow_registry_uri == f"sqlite:///{tmp_path / 'registry.db'}"
    # The tracking server named again as the registry is the same store.
    monkeypatch.setenv("EMPORIUM_MLFLOW__TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.setenv("EMPORIUM_MLFLOW__REGISTRY_URI", "http://127.0.0.1:5000/")
    assert Settings().mlflow_registry_uri == "http://127.0.0.1:5000/"


@pytest.mark.parametrize("tracking", ["", "http://127.0.0.1:5000", "sqlite:///tmp/t.db"])
def test_a_registry_server_other_than_the_tracking_store_is_refused(
    tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Such a server refuses every version whose run it does not track itself: training would
    log its run and then fail to register it."""
    monkeypatch.setenv("EMPORIUM_MLFLOW__TRACKING_URI", tracking)
    monkeypatch.setenv("EMPORIUM_MLFLOW__REGISTRY_URI", "http://127.0.0.1:5001")
    refused = re.escape("EMPORIUM_MLFLOW__REGISTRY_URI=http://127.0.0.1:5001")
    with pytest.raises(ValidationError, match=refused):
        Settings()


def test_data_exports_per_hour_default_to_five_and_read_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().auth.exports_per_hour == 5
    monkeypatch.setenv("EMPORIUM_AUTH__EXPORTS_PER_HOUR", "2")
    assert Settings().auth.exports_per_hour == 2
    monkeypatch.setenv("EMPORIUM_AUTH__EXPORTS_PER_HOUR", "0")  # no export at all: refused
    with pytest.raises(ValidationError, match="exports_per_hour"):
        Settings()


def test_attempt_limits_read_the_environment_and_refuse_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = Settings().auth
    assert (auth.logins_per_account, auth.logins_per_address, auth.limit_window_minutes) == (
        10, 50, 15,
    )  # fmt: skip
    assert (auth.registrations_per_address, auth.resets_per_email, auth.resets_per_address) == (
        20, 5, 20,
    )  # fmt: skip
    monkeypatch.setenv("EMPORIUM_AUTH__RESETS_PER_EMAIL", "2")
    assert Settings().auth.resets_per_email == 2
    monkeypatch.setenv("EMPORIUM_AUTH__LOGINS_PER_ACCOUNT", "0")
    with pytest.raises(ValidationError, match="logins_per_account"):
        Settings()


def test_the_event_log_keeps_everything_unless_a_positive_retention_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().events.log_keep_hours is None
    monkeypatch.setenv("EMPORIUM_EVENTS__LOG_KEEP_HOURS", "168")
    assert Settings().events.log_keep_hours == 168.0
    monkeypatch.setenv("EMPORIUM_EVENTS__LOG_KEEP_HOURS", "0")
    with pytest.raises(ValidationError, match="log_keep_hours"):
        Settings()
