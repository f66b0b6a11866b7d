"""The disk log's layout is what Spark's file source reads: completed segments, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.envelope import Event
from pipelines.spark import build_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_reads_every_completed_segment_and_ignores_the_rest(tmp_path: Path) -> None:
    bus = DiskLogEventBus(tmp_path)
    published = [Event(type="view", user_id=f"u{n}", product_id="85123A") for n in range(7)]
    bus.publish("clickstream", published[:4])
    bus.publish("clickstream", published[4:])
    bus.commit("indexer", list(bus.consume("clickstream", "indexer", timeout_s=0)))
    # A writer that crashed mid-segment leaves valid-looking lines under a dot name.
    debris = Event(type="view", user_id="ghost").to_json()
    (tmp_path / "clickstream" / f".seg-{7:020d}.jsonl.tmp").write_text(debris + "\n")

    # With the Kafka connector: the JVM this starts may serve the Kafka ingest tests later.
    spark = build_spark(master="local[1]", kafka=True)
    rows = spark.read.json(str(tmp_path / "clickstream")).collect()

    assert sorted(row["event_id"] for row in rows) == sorted(str(e.event_id) for e in published)
    assert {row["product_id"] for row in rows} == {"85123A"}
