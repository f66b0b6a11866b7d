"""Streaming ingest from real Kafka: killed mid-stream, restarted, every event lands once."""

from __future__ import annotations

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
from kafka import KafkaProducer
from kafka_support import fresh_topics
from pyspark.sql import SparkSession

from pipelines.events.kafka import KafkaEventBus
from pipelines.jobs.ingest import IngestSettings, read_quarantine, run_ingest
from pipelines.spark import build_spark

pytestmark = [pytest.mark.spark, pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = build_spark("local[2]", "emporium-it-ingest", "1g", 2, kafka=True)
    yield session


@pytest.fixture
def topics(kafka_url: str, unique: str) -> Iterator[tuple[str, str]]:
    with fresh_topics(kafka_url, f"it-click-{unique}", f"it-commerce-{unique}") as names:
        yield (names[0], names[1])


def _send_garbage(kafka_url: str, topic: str) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_url.removeprefix("kafka://").split(","))
    producer.send(topic, b"not json")
    producer.send(topic, b'{"event_id": "nope", "type": "page_view"}')
    producer.flush()
    producer.close()


def test_killed_ingest_resumes_and_lands_every_event_once(
    spark: SparkSession, tmp_path: Path, kafka_url: str, topics: tuple[str, str]
) -> None:
    state = tmp_path / "state"
    bus = KafkaEventBus.from_url(kafka_url)
    producer = Producer(bus, topics)
    producer.start()
    proc = start_ingest_process(ingest_env(state, kafka_url, topics), tmp_path / "ingest-1.log")
    kill_after_first_commit(proc, state / "lake", timeout_s=300)
    assert producer.is_alive(), "the kill must happen while producers are still writing"
    n_at_kill = len(producer.ids)
    while len(producer.ids) < n_at_kill + 200:
        producer.join(0.1)
    producer.stop.set()
    producer.join()
    bus.close()
    assert producer.error is None
    _send_garbage(kafka_url, topics[0])

    settings = IngestSettings(kafka_url, topics, state / "lake", available_now=True)
    run_ingest(spark, settings)

    assert_exactly_once(spark, state / "lake", producer.ids)
    reasons = sorted(r.reason for r in read_quarantine(spark, state / "lake").collect())
    assert reasons == ["event_id is not a UUID", "not a JSON object"]
