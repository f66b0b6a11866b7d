"""MLflow tracking, registry and the promotion gate on embedded SQLite (tmp dir)."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow_contract import (
    check_a_nan_metric_never_takes_the_champion_alias,
    check_gate_and_rollback,
    check_pyfunc_serves_the_champion,
    log_version,
)

from models.tracking.runs import configure


@pytest.fixture
def sqlite_mlflow(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    configure(f"sqlite:///{tmp_path / 'mlflow.db'}", "emporium-test", tmp_path / "artifacts")


def test_gate_promotes_rejects_and_rolls_back(sqlite_mlflow, unique: str) -> None:
    check_gate_and_rollback(f"recs-{unique}")


def test_pyfunc_serves_the_champion_with_a_signature(sqlite_mlflow, unique: str) -> None:
    check_pyfunc_serves_the_champion(f"recs-{unique}")


def test_a_nan_metric_never_becomes_champion(sqlite_mlflow, unique: str) -> None:
    check_a_nan_metric_never_takes_the_champion_alias(f"recs-{unique}")


def test_a_champion_that_cannot_score_the_new_data_is_kept_with_a_reason(
    sqlite_mlflow, unique: str
) -> None:
    """Rescoring a champion trained on other data (integer ids against text ids) crashed after
    the challenger was registered, leaving a version without a verdict."""
    import shutil
    from urllib.parse import urlparse

    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    from models.training import train_and_register

    name = f"recs-{unique}"
    ints = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 11]})
    first = train_and_register("popularity", {}, ints, ints.tail(1), name, "test")
    assert first.decision.promoted
    texts = ints.astype(str).assign(item_id=lambda d: "sku-" + d["item_id"])
    # Without times the champion may have seen this test split: its settings are refitted.
    second = train_and_register("popularity", {}, texts, texts.tail(1), name, "test")
    assert not second.decision.promoted and second.decision.champion_value is not None
    assert "the champion's settings refitted on this split" in second.decision.reason
    # A champion whose files are gone can be neither scored nor refitted: it is kept.
    source = MlflowClient().get_model_version(name, first.version).source  # models:/m-…
    logged = mlflow.get_logged_model(source.removeprefix("models:/"))
    shutil.rmtree(urlparse(logged.artifact_location).path)
    third = train_and_register("popularity", {}, texts.head(4), texts.tail(1), name, "test")
    assert not third.decision.promoted and third.decision.champion_version == first.version
    reason = third.decision.reason
    assert "the champion cannot be re-scored on this split: it cannot score" in reason
    assert "champion was evaluated on split" in reason


def _events_by_day(days: int = 60) -> pd.DataFrame:
    """Five users, four items, one event per user and day."""
    rows = [
        {
            "user_id": u,
            "item_id": (u + d) % 4,
            "timestamp": pd.Timestamp("2026-01-01") + pd.Timedelta(days=d),
        }
        for d in range(days)
        for u in range(5)
    ]
    return pd.DataFrame(rows)


def _cut(df: pd.DataFrame, day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    at = pd.Timestamp(day)
    return df[df["timestamp"] < at], df[df["timestamp"] >= at]


def test_a_champion_trained_on_the_challengers_test_split_is_refitted_before_the_comparison(
    sqlite_mlflow, unique: str
) -> None:
    """The gate re-scored a champion on test interactions it had been fitted on, so it looked
    better than it was and rejected a challenger with the same settings; then it kept such a
    champion without comparing at all."""
    from models.training import train_and_register

    name, events = f"recs-{unique}", _events_by_day()
    late = train_and_register("popularity", {}, *_cut(events, "2026-02-20"), name, "test")
    assert late.decision.promoted
    early = train_and_register("popularity", {}, *_cut(events, "2026-02-01"), name, "test")
    # The same settings on the same split: the same figure, so no better.
    assert early.decision.champion_value == pytest.approx(early.metrics["ndcg@10"])
    assert not early.decision.promoted
    assert "the champion's settings refitted on this split" in early.decision.reason
    assert "fitted on interactions up to 2026-02-19" in early.decision.reason
    assert "this test split starts at 2026-02-01" in early.decision.reason


def test_a_model_refitted_on_every_interaction_serves_them_and_is_gated_fairly(
    sqlite_mlflow, unique: str
) -> None:
    """The registered model was the one fitted on the evaluation's training split: it served
    without the newest fifth of the interactions (their items unknown, their buyers' latest
    purchases not excluded)."""
    from mlflow import MlflowClient

    from models.tracking.promotion import load_champion
    from models.training import train_and_register

    name, events = f"recs-{unique}", _events_by_day()
    train, test = _cut(events, "2026-02-20")
    first = train_and_register("ease", {}, train, test, name, "test", deploy_on=events)
    served = load_champion(name).unwrap_python_model().model
    assert len(served.train_history_) == len(events)  # the test split's events too
    evaluated = train_and_register("ease", {}, train, test, f"{name}-eval", "test")
    assert first.metrics["ndcg@10"] == pytest.approx(evaluated.metrics["ndcg@10"])
    tags = MlflowClient().get_run(first.run_id).data.tags
    assert tags["fitted_on"] == "all" and tags["eval_split"]
    assert float(tags["train_end"]) == events["timestamp"].max().timestamp()
    # Even on its own split the champion's model has seen the test: it is refitted to compare.
    again = train_and_register("ease", {}, train, test, name, "test", deploy_on=events)
    assert again.decision.champion_value == pytest.approx(first.metrics["ndcg@10"])
    assert "refitted on this split" in again.decision.reason


def test_a_champion_trained_before_the_challengers_test_split_is_rescored_on_it(
    sqlite_mlflow, unique: str
) -> None:
    from models.training import train_and_register

    name, events = f"recs-{unique}", _events_by_day()
    first = train_and_register("popularity", {}, *_cut(events, "2026-02-01"), name, "test")
    second = train_and_register("popularity", {}, *_cut(events, "2026-02-20"), name, "test")
    assert second.decision.champion_version == first.version
    assert second.decision.champion_value is not None  # compared on the new split


def test_force_promote_skips_the_gate_and_says_so(sqlite_mlflow, unique: str) -> None:
    from mlflow import MlflowClient

    from models.tracking.promotion import champion_version, force_promote
    from models.training import train_and_register

    name, events = f"recs-{unique}", _events_by_day()
    first = train_and_register("popularity", {}, *_cut(events, "2026-02-20"), name, "test")
    second = train_and_register("popularity", {}, *_cut(events, "2026-02-01"), name, "test")
    assert not second.decision.promoted
    client = MlflowClient()
    decision = force_promote(client, name, second.version)
    assert decision.promoted and decision.forced and first.version in decision.reason
    assert champion_version(client, name) == second.version
    tags = client.get_model_version(name, second.version).tags
    assert tags["gate_decision"] == "forced"
    assert not force_promote(client, name, second.version).promoted  # already champion


def test_no_champion_is_none_but_a_registry_out_of_reach_is_an_error(
    sqlite_mlflow, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taken for "no champion", an unreachable registry let a challenger take the alias
    without being compared with the champion it could not see."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from models.tracking.promotion import champion_version

    assert champion_version(MlflowClient(), f"{unique}-never-registered") is None
    log_version(unique, 0.3)
    assert champion_version(MlflowClient(), unique) is None  # registered, no alias yet
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    nobody = MlflowClient(tracking_uri="http://127.0.0.1:1", registry_uri="http://127.0.0.1:1")
    with pytest.raises(MlflowException):
        champion_version(nobody, unique)
