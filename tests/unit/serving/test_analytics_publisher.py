"""Search events leave through a background publisher: a search never waits on the stream."""

from __future__ import annotations

import time
from pathlib import Path

from pipelines.events import Event
from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.kafka import KafkaEventBus
from serving.analytics import BackgroundPublisher


def _events(n: int) -> list[Event]:
    return [Event(type="search", payload={"query": f"q{k}"}) for k in range(n)]


def test_submitted_events_are_published_in_order(tmp_path: Path) -> None:
    bus = DiskLogEventBus(tmp_path / "events")
    publisher = BackgroundPublisher(bus, "clickstream", batch_size=3)
    for event in _events(7):
        publisher.submit(event)
    assert publisher.flush()
    got = [c.event.payload["query"] for c in bus.consume("clickstream", "t")]
    assert got == [f"q{k}" for k in range(7)] and publisher.dropped == 0
    publisher.submit(_events(1)[0])
    publisher.close()  # publishes what is still queued
    assert len(list(bus.consume("clickstream", "t2"))) == 8


def test_a_stream_that_does_not_answer_costs_the_caller_nothing() -> None:
    """While Kafka was down each search waited 10 s on the producer; now only the publisher's
    thread waits, and the events it could not publish are counted as dropped."""
    bus = KafkaEventBus("127.0.0.1:1", request_timeout_s=0.5, health_timeout_s=0.5)
    publisher = BackgroundPublisher(bus, "clickstream", max_queued=3, batch_size=1)
    start = time.monotonic()
    for event in _events(10):
        publisher.submit(event)
    assert time.monotonic() - start < 0.1
    assert publisher.flush(timeout_s=30)
    assert publisher.dropped == 10  # some for a full queue, the rest not taken by the stream
    publisher.close()
    bus.close()
