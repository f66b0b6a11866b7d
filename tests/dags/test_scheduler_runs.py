"""The DAGs under Airflow's own scheduler, not ``dag.test()``: an API server (whose execution
API the task processes report to), a DAG processor and a scheduler with the LocalExecutor run
as separate processes, as in a deployment; each DAG is unpaused and its one scheduled run
(``catchup=False``) must succeed and leave its result behind. The tasks use embedded engines:
what is tested here is the orchestration."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from test_train_and_reindex_dags import _found, _gold_interactions, _laptop_stand_catalog

from emporium import steps
from emporium.demo import stop_all
from emporium.settings import Settings

AIRFLOW = Path(sys.executable).parent / "airflow"
DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
pytestmark = [pytest.mark.slow]


@dataclass
class Deployment:
    env: dict[str, str]
    database: Path
    logs: Path

    def airflow(self, *args: str) -> None:
        subprocess.run([str(AIRFLOW), *args], env=self.env, check=True, capture_output=True,
                       timeout=180)  # fmt: skip

    def runs(self, dag_id: str) -> list[tuple[str, str, str]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(
                "SELECT run_id, run_type, state FROM dag_run WHERE dag_id = ?", (dag_id,)
            ).fetchall()

    def parsed(self, dag_id: str) -> bool:
        with sqlite3.connect(self.database) as db:
            return (
                db.execute("SELECT 1 FROM dag WHERE dag_id = ?", (dag_id,)).fetchone() is not None
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, ready, logs: Path, timeout: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tails = {p.name: p.read_text(errors="replace")[-2000:] for p in logs.glob("*.out")}
            pytest.fail(f"{what} within {timeout:.0f} s; process output: {tails}")
        time.sleep(2)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("airflow-deployment")
    api_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "EMPORIUM_"))}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",  # a 2-core machine
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "EMPORIUM_STATE_DIR": str(home / "var"),  # what the tasks see: embedded engines
        "EMPORIUM_SPARK__MASTER": "local[2]",
        "OPENBLAS_NUM_THREADS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PATH": f"{AIRFLOW.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    found = Deployment(env, home / "airflow.db", home / "out")
    found.logs.mkdir()
    found.airflow("db", "migrate")
    processes = []
    for component in ("api-server", "dag-processor", "scheduler"):
        out = (found.logs / f"{component}.out").open("wb")
        command = [str(AIRFLOW), component]
        processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True))  # fmt: skip
    try:
        yield found
    finally:
        stop_all(processes, timeout_s=30)  # each component with the task processes it started


def _scheduled_run(deployment: Deployment, dag_id: str) -> str:
    """Unpause ``dag_id`` and wait for its scheduled run to end; its state."""
    _wait(f"the DAG processor parsed {dag_id}", lambda: deployment.parsed(dag_id), deployment.logs)
    deployment.airflow("dags", "unpause", dag_id)

    def ended() -> bool:
        return any(state in ("success", "failed") for _, _, state in deployment.runs(dag_id))

    _wait(f"{dag_id}'s scheduled run ended", ended, deployment.logs)
    runs = deployment.runs(dag_id)
    assert [kind for _, kind, _ in runs] == ["scheduled"], runs
    return str(runs[0][2])


def _settings(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL",
                "MLFLOW__TRACKING_URI"):  # fmt: skip
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", deployment.env["EMPORIUM_STATE_DIR"])
    settings = Settings()
    settings.state_path.mkdir(parents=True, exist_ok=True)
    return settings


def test_the_scheduler_runs_the_reindex_dag(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(deployment, monkeypatch)
    _laptop_stand_catalog(settings)

    assert _scheduled_run(deployment, "emporium_search_reindex") == "success"

    assert _found(settings, "laptop") == ["LAP-1"]


def test_the_scheduler_runs_the_train_dag(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(deployment, monkeypatch)
    _gold_interactions(settings)

    assert _scheduled_run(deployment, "emporium_train") == "success"

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=settings.mlflow_tracking_uri,
                          registry_uri=settings.mlflow_tracking_uri)  # fmt: skip
    champion = client.get_model_version_by_alias("emporium-recommender", "champion")
    assert str(champion.version) == "1"


@pytest.mark.spark
def test_the_scheduler_runs_the_features_dag(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(deployment, monkeypatch)
    assert sum(steps.replay(settings, "online-retail", limit=3000).values()) == 3000

    # Two tasks in two processes: ingest's bronze files must be there for batch.
    assert _scheduled_run(deployment, "emporium_features") == "success"

    interactions = pd.read_parquet(settings.lake_path / "gold" / "interactions")
    assert {"user_id", "product_id", "weight"} <= set(interactions.columns)
    assert (interactions["n_purchase"] > 0).any()
