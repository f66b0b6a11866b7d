"""The work of ``emporium bench compact`` (``compact.command`` checks the options, then calls
``run``): build a fragmented bronze with the real streaming ingest, measure it, compact it,
measure it again, and refuse to report figures for data that changed."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from pipelines.events import CLICKSTREAM, COMMERCE, Event
from pipelines.events.disklog import DiskLogEventBus
from pipelines.jobs.compaction import CompactionSettings, compact_table
from pipelines.jobs.ingest import IngestSettings, read_bronze, run_ingest
from pipelines.jobs.lake import LakePaths
from pipelines.schema import BRONZE_PARTITIONS

#: The event types each topic carries; micro-batches alternate between the topics.
TYPES: dict[str, tuple[str, ...]] = {
    CLICKSTREAM: ("product_view", "add_to_cart"),
    COMMERCE: ("OrderPlaced", "PaymentCaptured"),
}


class BronzeChanged(RuntimeError):
    """Bronze read after compaction is not the bronze read before (or not what was published):
    figures compared across different data mean nothing."""


@dataclass(frozen=True)
class Params:
    events: int
    days: int
    batches: int
    repeats: int
    target_mb: int


@dataclass(frozen=True)
class Snapshot:
    """Bronze at one moment: files and bytes on disk, rows, event ids, median read time."""

    files: int
    bytes: int
    rows: int
    ids: frozenset[str]
    read_s: float


def batch_events(batch: int, size: int, days: list[date]) -> tuple[str, list[Event]]:
    """Micro-batch ``batch``: its topic and ``size`` events spread evenly over ``days`` and
    the topic's types, so it writes one file per (day, type) when ``size`` covers them all."""
    topic = (CLICKSTREAM, COMMERCE)[batch % 2]
    cells = [(day, kind) for day in days for kind in TYPES[topic]]
    events = []
    for i in range(size):
        day, kind = cells[i % len(cells)]
        ts = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=batch * 7 + i)
        payload: dict[str, Any] = {"n": i}
        if kind == "OrderPlaced":
            lines = [{"product_id": f"p{i % 997}", "quantity": 1, "unit_price": 2.5}]
            payload = {"order_id": f"o{batch}-{i}", "lines": lines}
        events.append(Event(type=kind, ts=ts, user_id=f"u{i % 500}",
                            product_id=f"p{i % 997}", payload=payload))  # fmt: skip
    return topic, events


def build_bronze(spark: SparkSession, work: Path, params: Params, today: date) -> list[str]:
    """Publish ``params.batches`` segments to an on-disk log and ingest them one segment per
    micro-batch (``max_files_per_trigger=1``), as a live stream would have written them;
    returns the ids of every event published."""
    bus = DiskLogEventBus(work / "events")
    days = [today - timedelta(days=d) for d in range(params.days, 0, -1)]  # all compactable
    sizes = [params.events // params.batches] * params.batches
    for b in range(params.events % params.batches):
        sizes[b] += 1
    ids: list[str] = []
    for b, size in enumerate(sizes):
        topic, events = batch_events(b, size, days)
        bus.publish(topic, events)
        ids += [str(e.event_id) for e in events]
    ingest = IngestSettings(f"log://{bus.root}", tuple(TYPES), work / "lake",
                            max_files_per_trigger=1)  # fmt: skip
    run_ingest(spark, ingest)
    return ids


def _on_disk(table: Path) -> tuple[int, int]:
    """Parquet files (and their bytes) in the partition directories, read or not."""
    files = [p for p in table.glob("*=*/**/*.parquet") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _read_once(spark: SparkSession, lake: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    counts = read_bronze(spark, lake).agg(F.count("*"), F.countDistinct("event_id")).first()
    assert counts is not None  # an aggregate always has a row
    return time.perf_counter() - start, int(counts[0]), int(counts[1])


def snapshot(spark: SparkSession, lake: Path, repeats: int) -> Snapshot:
    """Bronze now; the read time is the median of ``repeats`` reads after one warm-up."""
    _read_once(spark, lake)
    reads = [_read_once(spark, lake) for _ in range(repeats)]
    if len({(rows, ids) for _, rows, ids in reads}) != 1:
        raise BronzeChanged(f"repeated reads of the same bronze disagree: {reads}")
    ids = [r.event_id for r in read_bronze(spark, lake).select("event_id").collect()]
    if len(ids) != reads[0][1]:
        raise BronzeChanged(f"bronze counted {reads[0][1]} rows, then read {len(ids)}")
    files, size = _on_disk(LakePaths(lake).bronze)
    return Snapshot(files, size, len(ids), frozenset(ids),
                    statistics.median(s for s, _, _ in reads))  # fmt: skip


def check_same(before: Snapshot, after: Snapshot, published: list[str]) -> None:
    """Raise ``BronzeChanged`` unless bronze held every published event exactly once before
    compaction, and the same rows and event ids after it."""
    expected = frozenset(published)
    if before.rows != len(published) or before.ids != expected:
        raise BronzeChanged(
            f"bronze before compaction is not what was published: {before.rows} rows, "
            f"{len(before.ids)} distinct ids, for {len(published)} events published"
        )
    if after.rows != before.rows or after.ids != before.ids:
        raise BronzeChanged(
            f"compaction changed bronze: {before.rows} rows before, {after.rows} after; "
            f"{len(before.ids - after.ids)} event ids lost, {len(after.ids - before.ids)} new"
        )


def run(spark: SparkSession, work: Path, params: Params) -> dict[str, Any]:
    """Build, measure, compact (replaced files deleted at once), measure; the result row."""
    today = datetime.now(UTC).date()
    start = time.perf_counter()
    published = build_bronze(spark, work, params, today)
    build_s = time.perf_counter() - start
    lake = work / "lake"
    before = snapshot(spark, lake, params.repeats)
    job = CompactionSettings(target_bytes=params.target_mb * 1024 * 1024, keep_replaced_s=0)
    start = time.perf_counter()
    report = compact_table(spark, LakePaths(lake).bronze, BRONZE_PARTITIONS, job, today=today)
    compact_s = time.perf_counter() - start
    after = snapshot(spark, lake, params.repeats)
    check_same(before, after, published)
    return {
        "events": params.events, "days": params.days, "batches": params.batches,
        "repeats": params.repeats, "target_mb": params.target_mb,
        "spark_master": spark.sparkContext.master, "rows": after.rows,
        "partitions_compacted": report.partitions,
        "files_before": before.files, "files_after": after.files,
        "bytes_before": before.bytes, "bytes_after": after.bytes,
        "read_s_before": round(before.read_s, 3), "read_s_after": round(after.read_s, 3),
        "compact_s": round(compact_s, 3), "build_s": round(build_s, 3),
    }  # fmt: skip
