"""The same jobs on a real Spark standalone cluster (`emporium services up` starts one).

Each job runs in a fresh `emporium` process, as an Airflow task would: a process's Spark
driver is fixed once it starts, so a cluster run cannot share the test process's local one.
The cluster's master records every application it ran, which shows the work went there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.sparkcluster, pytest.mark.slow]

EMPORIUM = [sys.executable, "-m", "emporium.cli"]
N_EVENTS = 3000


def _env(state: Path, data_dir: Path, master: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPORIUM_")}
    env.update(
        EMPORIUM_STATE_DIR=str(state),
        EMPORIUM_DATA_DIR=str(data_dir),
        EMPORIUM_SPARK__MASTER=master,
        EMPORIUM_SPARK__DRIVER_MEMORY="1g",
        PYSPARK_PYTHON=sys.executable,
        SPARK_LOCAL_IP="127.0.0.1",
        OPENBLAS_NUM_THREADS="1",
    )
    return env


def _emporium(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*EMPORIUM, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"emporium {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def _finished_apps(master: str) -> list[str]:
    """The names of the applications the cluster's master has seen finish."""
    from emporium.services.spark import MASTER_UI_PORT

    host = master.removeprefix("spark://").split(":")[0]
    with urllib.request.urlopen(f"http://{host}:{MASTER_UI_PORT}/json/", timeout=5) as r:
        return [app["name"] for app in json.loads(r.read())["completedapps"]]


def _wait_for_apps(master: str, count: int, timeout_s: float = 30.0) -> list[str]:
    """The finished applications, once there are ``count`` (the master learns of a driver's
    exit a moment after the process has gone)."""
    deadline = time.monotonic() + timeout_s
    while len(apps := _finished_apps(master)) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    return apps


def _gold(state: Path, table: str) -> pd.DataFrame:
    frame = pd.read_parquet(state / "lake" / "gold" / table)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_ingest_and_batch_run_on_the_cluster_and_match_a_local_run(
    spark_cluster_url: str, data_dir: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    env = _env(state, data_dir, spark_cluster_url)
    apps_before = _finished_apps(spark_cluster_url)
    _emporium(env, "replay", "online-retail", "--limit", str(N_EVENTS))
    _emporium(env, "ingest")
    _emporium(env, "batch")
    tables = ("interactions", "item_popularity", "user_features")
    on_cluster = {table: _gold(state, table) for table in tables}
    # The same bronze lake again, locally: batch rewrites every gold table in full.
    _emporium(_env(state, data_dir, "local[2]"), "batch")

    apps = _wait_for_apps(spark_cluster_url, len(apps_before) + 2)[len(apps_before) :]
    assert sorted(apps) == ["emporium-batch", "emporium-ingest"], apps
    bronze = pd.read_parquet(state / "lake" / "bronze")
    assert len(bronze) == N_EVENTS and bronze["event_id"].is_unique
    for table in tables:
        assert len(on_cluster[table]) > 0, f"gold {table} is empty"
        pd.testing.assert_frame_equal(on_cluster[table], _gold(state, table), check_dtype=False)


SPARK_ALS_SCRIPT = """
import json, sys
import pandas as pd
from models.recommenders import SparkALS
rows = [(f"u{u}", f"i{i}") for u in range(40) for i in (range(0, 8) if u < 20 else range(8, 16))
        if (u + i) % 4]
frame = pd.DataFrame(rows, columns=["user_id", "item_id"])
model = SparkALS(factors=8, iterations=10, regularization=0.01, master=sys.argv[1]).fit(frame)
ids, _ = model.recommend(["u0", "u25"], frame, n=2)
print(json.dumps([list(map(str, r)) for r in ids]))
"""


def test_spark_als_trains_on_the_cluster(spark_cluster_url: str, tmp_path: Path) -> None:
    env = _env(tmp_path, tmp_path, spark_cluster_url)
    before = len(_finished_apps(spark_cluster_url))
    done = subprocess.run(
        [sys.executable, "-c", SPARK_ALS_SCRIPT, spark_cluster_url],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    block_a = {f"i{i}" for i in range(8)}
    assert set(first) <= block_a, "u0's unseen items are all in its own block"
    assert not set(second) & block_a, "u25's are all in the other block"
    assert len(_wait_for_apps(spark_cluster_url, before + 1)) == before + 1
