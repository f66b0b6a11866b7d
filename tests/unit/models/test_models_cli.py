"""``emporium models train|list|rollback`` on the embedded MLflow, and train's bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import WIDE, flat, two_blocks
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("EMPORIUM_MLFLOW__TRACKING_URI", raising=False)
    return f"interactions:{two_blocks(tmp_path / 'events.csv')}"


def train(events: str, *args: str):
    return runner.invoke(
        app, ["models", "train", "--dataset", events, "--protocol", "msr", *args], env=WIDE
    )


def test_train_registers_a_champion_and_the_gate_keeps_a_worse_challenger(events: str) -> None:
    first = train(events, "--model", "ease", "--param", "l2=10")
    assert first.exit_code == 0, first.output
    assert "PROMOTED" in first.output
    worse = train(events, "--model", "popularity")
    assert worse.exit_code == 0, worse.output
    assert "rejected" in worse.output
    listed = runner.invoke(app, ["models", "list", "--json"])
    rows = {r["version"]: r for r in json.loads(listed.output)}
    assert "champion" in rows["1"]["aliases"] and "champion" not in rows["2"]["aliases"]
    assert rows["1"]["ndcg@10"] > rows["2"]["ndcg@10"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope"], "'nope': one of ease"),
        (["--param", "l2=abc"], "l2 must be a number"),
        (["--param", "depth=3"], "key one of l2, binary"),
        (["--param", "l2"], "expected key=value"),
        (["--model", "rp3beta", "--param", "alpha=0"], "alpha > 0"),
        (["--name", "x'y"], "a registered model name is letters"),
        (["--name", "team/recs"], "a registered model name is letters"),
        (["--model", "ranker", "--param", "n_candidates=5"], "the ranker takes no --param"),
        (["--cut", "2011-10-01"], "--cut is for --protocol temporal"),  # was ignored
        (["--protocol", "weekly"], "protocol must be msr or temporal"),
    ],
)
def test_bad_input_is_a_message_and_exit_2(events: str, args: list[str], message: str) -> None:
    result = train(events, *args)
    assert result.exit_code == 2
    assert message in flat(result.output)


def test_a_split_with_no_test_rows_registers_nothing(events: str, tmp_path: Path) -> None:
    # Every user's events come after the one before's: past a time cut nobody returns.
    result = runner.invoke(
        app, ["models", "train", "--dataset", events, "--protocol", "temporal"], env=WIDE
    )
    assert result.exit_code == 2
    assert "test part empty" in flat(result.output)
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert json.loads(listed.output) == []


def test_a_diverged_fit_is_a_message_and_registers_nothing(events: str) -> None:
    result = train(events, "--model", "bpr", "--param", "learning_rate=1e30")
    assert result.exit_code == 1
    assert "BPR diverged" in result.output and "Traceback" not in result.output
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert json.loads(listed.output) == []


def test_list_shows_models_whatever_their_name(events: str) -> None:
    # Names registered by other tools may hold a quote, which a registry filter cannot.
    from mlflow import MlflowClient

    from emporium.cli_models import _client

    assert train(events, "--model", "popularity").exit_code == 0
    _client()
    MlflowClient().create_registered_model("team's model")
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["name"] for r in json.loads(listed.output)] == ["emporium-recommender"]


def test_the_ranker_is_tuned_on_validation_registered_and_serves(events: str) -> None:
    from mlflow import MlflowClient

    from models.tracking.promotion import load_champion

    result = train(events, "--model", "ranker", "--name", "blocks-ranker")
    assert result.exit_code == 0, result.output
    assert "chosen ease:" in result.output and "PROMOTED" in result.output
    version = MlflowClient().get_model_version("blocks-ranker", "1")
    params = MlflowClient().get_run(version.run_id).data.params
    assert params["model"] == "ranker" and f"source.{params['anchor']}" in params
    assert {"source.ease", "source.als", "n_candidates", "anchor_weight"} <= set(params)
    model = load_champion("blocks-ranker").unwrap_python_model().model
    assert type(model).__name__ == "CandidateRanker"
    ids, _ = model.recommend(["new"], user_items=_history("new", ["i16", "i17", "i18"]), n=5)
    assert {int(i[1:]) for i in ids[0]} <= set(range(15, 30))  # the visitor's block


def _history(user: str, items: list[str]):
    import pandas as pd

    return pd.DataFrame({"user_id": user, "item_id": items})
