"""``emporium models promote|rollback`` with nothing (or not that) registered, and a gate
``--metric``/``--name`` that cannot work: messages, never tracebacks, nothing registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import WIDE, flat, two_blocks
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("EMPORIUM_MLFLOW__TRACKING_URI", raising=False)
    monkeypatch.delenv("EMPORIUM_MLFLOW__REGISTRY_URI", raising=False)


def run(*args: str):
    result = runner.invoke(app, ["models", *args], env=WIDE)
    return result, flat(result.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "3"], "error: Model Version (name=emporium-recommender, version=3) not found"),
        (["promote", "abc"], "error: Parameter 'version' must be an integer"),
        (["rollback"], "error: Registered Model with name=emporium-recommender not found"),
        (["rollback", "--name", "nope"], "error: Registered Model with name=nope not found"),
    ],
)
def test_nothing_registered_is_a_message_and_exit_1(args: list[str], message: str) -> None:
    result, text = run(*args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert message in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "nope"], "'nope': one of ndcg@10, map"),
        (["--name", " "], "the registered model name is empty"),
        (["--margin", "nan"], "nan: must be a number >= 0"),
        (["--margin", "-1"], "-1.0: must be a number >= 0"),
    ],
)
def test_train_refuses_a_gate_it_cannot_run_and_registers_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    events = two_blocks(tmp_path / "events.csv")
    result, text = run("train", "--dataset", f"interactions:{events}", "--protocol", "msr", *args)
    assert result.exit_code == 2, result.output
    assert message in text
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert json.loads(listed.stdout) == []


@pytest.mark.parametrize("margin", ["inf", "-0.5"])
def test_promote_refuses_a_margin_that_is_not_a_number_of_at_least_zero(margin: str) -> None:
    """A negative margin promoted challengers worse than the champion ("0.0942 beats 0.2259
    + margin -1.0"), while EMPORIUM_TRAINING__MARGIN refused it."""
    result, text = run("promote", "1", "--margin", margin)
    assert result.exit_code == 2, result.output
    assert "must be a number >= 0" in text


def test_promote_refuses_an_unknown_metric() -> None:
    result, text = run("promote", "1", "--metric", "nope")
    assert result.exit_code == 2, result.output
    assert "'nope': one of ndcg@10" in text


@pytest.mark.timeout(60)
@pytest.mark.parametrize("store", ["TRACKING_URI", "REGISTRY_URI"])
@pytest.mark.parametrize("server", ["refusing", "silent"])
def test_a_database_store_that_cannot_be_reached_is_one_line_within_the_bound(
    monkeypatch: pytest.MonkeyPatch, store: str, server: str
) -> None:
    """MLflow retried a database store it could not reach for 100 s, logging each failure,
    and waited for ever on one that accepted and never answered."""
    import socket
    import time

    monkeypatch.setattr("commerce.adapters.db.PG_CONNECT_TIMEOUT_S", 1)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1] if server == "silent" else 1
        uri = f"postgresql+psycopg://u:secret@127.0.0.1:{port}/mlflow"
        monkeypatch.setenv(f"EMPORIUM_MLFLOW__{store}", uri)
        start = time.monotonic()
        result, _ = run("list")
        took = time.monotonic() - start
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"error: EMPORIUM_MLFLOW__{store}=postgresql+psycopg://u:***@127.0.0.1:{port}/mlflow: "
        "cannot connect: "
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert took < 15
