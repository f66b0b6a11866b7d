"""MLflow tracking, registry and the promotion gate on embedded SQLite (tmp dir)."""

from __future__ import annotations

import pytest
from mlflow_contract import check_gate_and_rollback, check_pyfunc_serves_the_champion

from models.tracking.runs import configure


@pytest.fixture
def sqlite_mlflow(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    configure(f"sqlite:///{tmp_path / 'mlflow.db'}", "emporium-test", tmp_path / "artifacts")


def test_gate_promotes_rejects_and_rolls_back(sqlite_mlflow, unique: str) -> None:
    check_gate_and_rollback(f"recs-{unique}")


def test_pyfunc_serves_the_champion_with_a_signature(sqlite_mlflow, unique: str) -> None:
    check_pyfunc_serves_the_champion(f"recs-{unique}")
