"""``EMPORIUM_MLFLOW__REGISTRY_URI``: models registered in a store of their own while their runs
(and files) stay in the tracking store; training, ``emporium models``, the served champion and
``/health`` all use it.

Through the ``emporium models`` CLI and the API's ``Champion``, on two embedded stores, and on
the real MLflow server as the tracking store with an embedded registry (whose versions' files
the server serves, fetched by the bounded loader)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from cli_support import WIDE, two_blocks
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from typer.testing import CliRunner

from emporium.champion import DEFAULT_NAME, Champion
from emporium.cli import app
from emporium.settings import Settings

runner = CliRunner()


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_MLFLOW__EXPERIMENT", "emporium-test")
    for var in ("TRACKING_URI", "REGISTRY_URI"):
        monkeypatch.delenv(f"EMPORIUM_MLFLOW__{var}", raising=False)
    tracking, registry = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    yield f"interactions:{two_blocks(tmp_path / 'events.csv')}"
    mlflow.set_tracking_uri(tracking)  # as the next test's process would find them
    mlflow.set_registry_uri(registry)


def stores(tracking: str, registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_MLFLOW__TRACKING_URI", tracking)
    monkeypatch.setenv("EMPORIUM_MLFLOW__REGISTRY_URI", registry)


def train_a_champion(events: str) -> None:
    args = ["models", "train", "--dataset", events, "--protocol", "msr", "--model", "ease"]
    trained = runner.invoke(app, [*args, "--param", "l2=10"], env=WIDE)
    assert trained.exit_code == 0, trained.output
    assert "PROMOTED" in trained.output


def registered_in(registry: str) -> str:
    """The run id of the champion the registry store holds."""
    version = MlflowClient(registry, registry).get_model_version_by_alias(DEFAULT_NAME, "champion")
    assert str(version.version) == "1"
    return str(version.run_id)


def served(settings: Settings) -> Champion:
    """A champion as the API has it, with version 1 loaded and /health's probe answered."""
    champion = Champion(settings)
    service = champion.get()
    assert service is not None and service.version == "1"
    champion.watch_registry()
    try:
        deadline = time.monotonic() + 60
        while champion.health().get("status") == "checking":
            assert time.monotonic() < deadline, "the registry's probe never answered"
            time.sleep(0.05)
    finally:
        champion.stop_watching()
    assert champion.health() == {"healthy": True, "model_version": "1"}
    return champion


def test_two_embedded_stores_the_run_in_one_and_the_model_in_the_other(
    events: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking, registry = (f"sqlite:///{tmp_path / name}.db" for name in ("tracking", "registry"))
    stores(tracking, registry, monkeypatch)
    train_a_champion(events)
    run_id = registered_in(registry)
    assert MlflowClient(tracking, tracking).search_registered_models() == []
    assert MlflowClient(tracking, tracking).get_run(run_id).data.metrics["ndcg_at_10"] > 0
    with pytest.raises(MlflowException):  # the registry's own tracking tables hold no run
        MlflowClient(registry, registry).get_run(run_id)
    listed = runner.invoke(app, ["models", "list", "--json"])
    (row,) = json.loads(listed.output)
    assert row["aliases"] == "champion" and row["ndcg@10"] > 0  # the metric from the run
    assert served(Settings()).get() is not None


def test_without_a_registry_uri_the_model_is_registered_with_its_run(
    events: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking = f"sqlite:///{tmp_path / 'tracking.db'}"
    monkeypatch.setenv("EMPORIUM_MLFLOW__TRACKING_URI", tracking)
    train_a_champion(events)
    registered_in(tracking)
    served(Settings())


@pytest.mark.mlflow
def test_the_tracking_server_keeps_the_files_of_a_model_registered_in_a_database(
    events: str, tmp_path: Path, mlflow_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    stores(mlflow_server_url, registry, monkeypatch)
    train_a_champion(events)
    registered_in(registry)
    source = MlflowClient(registry, registry).get_model_version_download_uri(DEFAULT_NAME, "1")
    assert source.startswith("mlflow-artifacts:")  # served by the tracking server
    loaded_from: list[str] = []
    load_model = mlflow.pyfunc.load_model
    monkeypatch.setattr(
        mlflow.pyfunc, "load_model", lambda uri: loaded_from.append(uri) or load_model(uri)
    )
    served(Settings())
    # Fetched by the bounded loader into a local directory, not by MLflow's retrying client.
    assert [Path(uri).name.startswith("emporium-model-") for uri in loaded_from] == [True]
