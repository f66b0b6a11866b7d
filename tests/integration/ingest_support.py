"""Drive ``emporium ingest`` in a child process that can be killed, and check bronze."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import SparkSession

from pipelines.events import CLICKSTREAM, Event, EventBus
from pipelines.jobs.ingest import read_bronze
from pipelines.jobs.lake import LakePaths

REPO = Path(__file__).resolve().parents[2]


def ingest_env(state_dir: Path, events_url: str, topics: tuple[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        EMPORIUM_STATE_DIR=str(state_dir),
        EMPORIUM_EVENTS__URL=events_url,
        EMPORIUM_EVENTS__CLICKSTREAM_TOPIC=topics[0],
        EMPORIUM_EVENTS__COMMERCE_TOPIC=topics[1],
        EMPORIUM_SPARK__MASTER="local[2]",
        EMPORIUM_SPARK__DRIVER_MEMORY="1g",
        EMPORIUM_SPARK__SHUFFLE_PARTITIONS="2",
        PYSPARK_PYTHON=sys.executable,
        SPARK_LOCAL_IP="127.0.0.1",
    )
    return env


def start_ingest_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``emporium ingest --follow`` in its own process group (the JVM is its child)."""
    cmd = [sys.executable, "-m", "emporium.cli", "ingest", "--follow", "--interval", "1 second"]
    cmd += ["--max-files", "2"]
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def committed_batches(lake: Path) -> int:
    meta = LakePaths(lake).bronze / "_spark_metadata"
    if not meta.is_dir():
        return 0
    return sum(1 for p in meta.iterdir() if p.name.split(".")[0].isdigit())


def kill_after_first_commit(proc: subprocess.Popen[bytes], lake: Path, timeout_s: float) -> int:
    """SIGKILL the whole process group once bronze has a committed batch; returns batches."""
    deadline = time.monotonic() + timeout_s
    while committed_batches(lake) < 1:
        if proc.poll() is not None:
            raise AssertionError(f"ingest exited early with {proc.returncode}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("ingest committed nothing in time")
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # no graceful stop: a crash mid-batch
    proc.wait(timeout=60)
    return committed_batches(lake)


class Producer(threading.Thread):
    """Publishes small batches to both topics until stopped; remembers every event id."""

    def __init__(self, bus: EventBus, topics: tuple[str, str], batch: int = 20) -> None:
        super().__init__(daemon=True)
        self.bus, self.topics, self.batch = bus, topics, batch
        self.ids: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                topic = self.topics[n % 2]
                events = [_event(topic == self.topics[0], n, i) for i in range(self.batch)]
                self.bus.publish(topic, events)
                self.ids.extend(str(e.event_id) for e in events)
                n += 1
                time.sleep(0.05)
        except BaseException as e:  # surfaced by the test
            self.error = e


def _event(click: bool, n: int, i: int) -> Event:
    if click:
        return Event(type="product_view", user_id=f"u{i}", product_id=f"p{n}", payload={"n": n})
    lines = [{"product_id": f"p{n}", "quantity": 1, "unit_price": 2.5}]
    return Event(
        type="OrderPlaced", user_id=f"u{i}", payload={"order_id": f"o{n}-{i}", "lines": lines}
    )


def assert_exactly_once(spark: SparkSession, lake: Path, ids: list[str]) -> None:
    bronze = read_bronze(spark, lake)
    counts = {r.event_id: r["count"] for r in bronze.groupBy("event_id").count().collect()}
    duplicated = {k: v for k, v in counts.items() if v > 1}
    missing = set(ids) - set(counts)
    assert not duplicated, f"{len(duplicated)} events landed more than once"
    assert not missing, f"{len(missing)} of {len(ids)} events never landed"
    assert len(counts) == len(ids)


def wait_until(check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


__all__ = ["CLICKSTREAM"]
