"""The same MLflow checks against the real tracking server (PostgreSQL-backed)."""

from __future__ import annotations

import pytest
from mlflow_contract import (
    check_a_nan_metric_never_takes_the_champion_alias,
    check_gate_and_rollback,
    check_pyfunc_serves_the_champion,
)

from models.tracking.runs import configure

pytestmark = pytest.mark.mlflow


@pytest.fixture
def server_mlflow(mlflow_server_url: str, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    configure(mlflow_server_url, "emporium-test")


def test_gate_promotes_rejects_and_rolls_back(server_mlflow, unique: str) -> None:
    check_gate_and_rollback(f"recs-{unique}")


def test_pyfunc_serves_the_champion_with_a_signature(server_mlflow, unique: str) -> None:
    check_pyfunc_serves_the_champion(f"recs-{unique}")


def test_a_nan_metric_never_becomes_champion(server_mlflow, unique: str) -> None:
    check_a_nan_metric_never_takes_the_champion_alias(f"recs-{unique}")
