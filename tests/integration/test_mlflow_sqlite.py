"""MLflow tracking, registry and the promotion gate on embedded SQLite (tmp dir)."""

from __future__ import annotations

import pytest
from mlflow_contract import (
    check_a_nan_metric_never_takes_the_champion_alias,
    check_gate_and_rollback,
    check_pyfunc_serves_the_champion,
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
    import pandas as pd

    from models.training import train_and_register

    name = f"recs-{unique}"
    ints = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 11]})
    first = train_and_register("popularity", {}, ints, ints.tail(1), name, "test")
    assert first.decision.promoted
    texts = ints.astype(str).assign(item_id=lambda d: "sku-" + d["item_id"])
    second = train_and_register("popularity", {}, texts, texts.tail(1), name, "test")
    assert not second.decision.promoted
    assert second.decision.champion_version == first.version
    assert "champion was evaluated on split" in second.decision.reason
