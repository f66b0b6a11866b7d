"""The MLflow behaviour both backends must show (SQLite embedded and the real server)."""

from __future__ import annotations

import pandas as pd
from mlflow import MlflowClient

from models.recommenders import EASE
from models.tracking.promotion import (
    CHAMPION,
    champion_version,
    list_models,
    load_champion,
    promote_if_better,
    rollback,
)
from models.tracking.runs import TrainingRun, log_training_run

INTERACTIONS = pd.DataFrame(
    {
        "user_id": [1, 1, 1, 2, 2, 3, 3, 3, 4],
        "item_id": [10, 11, 12, 10, 11, 11, 12, 13, 13],
    }
)


def log_version(name: str, ndcg: float, split: str = "split-a") -> str:
    run = TrainingRun(
        model=EASE(l2=1.0).fit(INTERACTIONS),
        params={"l2": 1.0},
        metrics={"ndcg@10": ndcg, "map": ndcg / 3},
        dataset_fingerprint="fp",
        split_id=split,
        git_commit="abc123",
        curves={"ndcg": {1: ndcg / 2, 10: ndcg}},
        coverage=0.5,
    )
    return log_training_run(run, name)[1]


def check_gate_and_rollback(name: str) -> None:
    client = MlflowClient()
    v1 = log_version(name, 0.30)
    assert promote_if_better(client, name, v1, margin=0.01).promoted
    v2 = log_version(name, 0.305)
    decision = promote_if_better(client, name, v2, margin=0.01)
    assert not decision.promoted and decision.champion_value == 0.30
    assert champion_version(client, name) == v1
    run = client.get_run(client.get_model_version(name, v2).run_id)
    assert run.data.tags["gate_decision"] == "rejected"
    assert run.data.metrics["gate_champion_value"] == 0.30
    v3 = log_version(name, 0.40, split="split-b")
    assert not promote_if_better(client, name, v3).promoted  # other split: not comparable
    assert promote_if_better(client, name, v3, champion_value=0.31).promoted
    assert str(client.get_model_version_by_alias(name, CHAMPION).version) == v3
    assert rollback(client, name) == v1
    assert champion_version(client, name) == v1
    rows = [r for r in list_models(client) if r["name"] == name]
    assert [r["version"] for r in rows] == [v1, v2, v3]


def check_pyfunc_serves_the_champion(name: str) -> None:
    version = log_version(name, 0.5)
    promote_if_better(MlflowClient(), name, version)
    model = load_champion(name)
    assert model.metadata.get_input_schema().input_names() == ["user_id", "history"]
    out = model.predict(pd.DataFrame({"user_id": ["2", "99"], "history": ["", "12 13"]}))
    assert list(out.columns) == ["user_id", "item_id", "score", "rank"]
    assert set(out.loc[out.user_id == "2", "item_id"]) <= {"12", "13"}
    assert not {"12", "13"} & set(out.loc[out.user_id == "99", "item_id"])
    run = MlflowClient().get_run(MlflowClient().get_model_version(name, version).run_id)
    assert run.data.tags["git_commit"] == "abc123" and run.data.params["l2"] == "1.0"
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.info.run_id, "plots")}
    assert artifacts == {"plots/metric_at_k.png", "plots/coverage.png"}


def check_a_nan_metric_never_takes_the_champion_alias(name: str) -> None:
    """A NaN challenger was promoted, and then no number could ever beat it."""
    client = MlflowClient()
    nan = log_version(name, float("nan"))
    decision = promote_if_better(client, name, nan)
    assert not decision.promoted and "is NaN" in decision.reason
    assert champion_version(client, name) is None
    first = log_version(name, 0.2)
    assert promote_if_better(client, name, first).promoted
    assert not promote_if_better(client, name, log_version(name, float("nan"))).promoted
    assert champion_version(client, name) == first
