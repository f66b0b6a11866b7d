"""Streaming ingest from the on-disk log: killed mid-stream, restarted, every event once."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_support import (
    Producer,
    assert_exactly_once,
    ingest_env,
    kill_after_first_commit,
    start_ingest_process,
)
from pyspark.sql import SparkSession

from emporium.worker import log_retention
from pipelines.events import Event
from pipelines.events.disklog import DiskLogEventBus
from pipelines.jobs.ingest import IngestSettings, read_bronze, read_quarantine, run_ingest
from pipelines.jobs.sink_files import TableMovedError
from pipelines.spark import build_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]
TOPICS = ("clickstream", "commerce")


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = build_spark("local[2]", "emporium-it-ingest", "1g", 2, kafka=True)
    yield session


def test_killed_ingest_resumes_and_lands_every_event_once(
    spark: SparkSession, tmp_path: Path
) -> None:
    root, state = tmp_path / "events", tmp_path / "state"
    producer = Producer(DiskLogEventBus(root), TOPICS)
    producer.start()
    env = ingest_env(state, f"log://{root}", TOPICS)
    proc = start_ingest_process(env, tmp_path / "ingest-1.log")
    kill_after_first_commit(proc, state / "lake", timeout_s=300)
    assert producer.is_alive(), "the kill must happen while producers are still writing"
    n_at_kill = len(producer.ids)
    while len(producer.ids) < n_at_kill + 200:  # keep writing after the crash too
        producer.join(0.1)
    producer.stop.set()
    producer.join()
    assert producer.error is None
    bad = root / "clickstream" / f"seg-{10**15:020d}.jsonl"
    bad.write_text('{"type": "page_view"}\nnot json\n')

    settings = IngestSettings(f"log://{root}", TOPICS, state / "lake", available_now=True)
    run_ingest(spark, settings)

    assert_exactly_once(spark, state / "lake", producer.ids)
    reasons = sorted(r.reason for r in read_quarantine(spark, state / "lake").collect())
    assert reasons == ["missing event_id", "not a JSON object"]


def test_a_log_written_again_from_scratch_is_refused_not_skipped(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Its segments get the names of those already ingested: Spark would skip every one."""
    root, lake = tmp_path / "events", tmp_path / "lake"
    settings = IngestSettings(f"log://{root}", TOPICS, lake, available_now=True)
    DiskLogEventBus(root).publish("clickstream", [Event(type="page_view", user_id="a")])
    run_ingest(spark, settings)
    shutil.rmtree(root)
    DiskLogEventBus(root).publish("clickstream", [Event(type="page_view", user_id="b")])
    with pytest.raises(ValueError, match=r"seg-0{20}\.jsonl was written again"):
        run_ingest(spark, settings)
    assert [r.user_id for r in read_bronze(spark, lake).collect()] == ["a"]


def test_a_byte_identical_copy_of_the_log_is_taken(spark: SparkSession, tmp_path: Path) -> None:
    """As ``cp -r`` or ``rsync`` without ``-t`` leave it: same bytes, new modification times."""
    root, lake = tmp_path / "events", tmp_path / "lake"
    settings = IngestSettings(f"log://{root}", TOPICS, lake, available_now=True)
    DiskLogEventBus(root).publish("clickstream", [Event(type="page_view", user_id="a")])
    run_ingest(spark, settings)
    shutil.copytree(root, tmp_path / "backup", copy_function=shutil.copy)  # no times kept
    shutil.rmtree(root)
    shutil.copytree(tmp_path / "backup", root, copy_function=shutil.copy)
    DiskLogEventBus(root).publish("clickstream", [Event(type="page_view", user_id="b")])
    run_ingest(spark, settings)
    assert sorted(r.user_id for r in read_bronze(spark, lake).collect()) == ["a", "b"]


def test_a_copied_or_moved_lake_is_refused_not_read_from_where_it_was(
    spark: SparkSession, tmp_path: Path
) -> None:
    """The sink's log names files by absolute path: a copy would read the original's files."""
    root, lake = tmp_path / "events", tmp_path / "lake"
    DiskLogEventBus(root).publish("clickstream", [Event(type="page_view", user_id="a")])
    run_ingest(spark, IngestSettings(f"log://{root}", TOPICS, lake, available_now=True))
    copy = tmp_path / "copy"
    shutil.copytree(lake, copy)

    written_at = f"was written at {lake.resolve() / 'bronze' / 'events'}"
    with pytest.raises(TableMovedError, match=written_at):
        read_bronze(spark, copy)
    with pytest.raises(TableMovedError, match=written_at):
        run_ingest(spark, IngestSettings(f"log://{root}", TOPICS, copy, available_now=True))
    moved = tmp_path / "moved"
    lake.rename(moved)
    with pytest.raises(TableMovedError, match=written_at):
        read_bronze(spark, moved)
    moved.rename(lake)
    assert [r.user_id for r in read_bronze(spark, lake).collect()] == ["a"]


def test_retention_deletes_only_segments_ingest_read_and_ingest_goes_on(
    spark: SparkSession, tmp_path: Path
) -> None:
    root, lake = tmp_path / "events", tmp_path / "lake"
    settings = IngestSettings(f"log://{root}", TOPICS, lake, available_now=True)
    bus = DiskLogEventBus(root)
    for user in ("a", "b"):
        bus.publish("clickstream", [Event(type="page_view", user_id=user)])
    run_ingest(spark, settings)
    for user in ("c", "d"):  # written, not yet ingested
        bus.publish("clickstream", [Event(type="page_view", user_id=user)])
    three_hours_ago = time.time() - 3 * 3600
    for segment in (root / "clickstream").glob("seg-*.jsonl"):
        os.utime(segment, (three_hours_ago, three_hours_ago))
    retention = log_retention(bus, keep_hours=1.0, lake=lake)
    assert retention is not None
    assert retention() == {"clickstream": 2}, "a and b; c was not ingested, d is the newest"
    run_ingest(spark, settings)
    assert sorted(r.user_id for r in read_bronze(spark, lake).collect()) == ["a", "b", "c", "d"]
