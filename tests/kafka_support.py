"""Fresh Kafka topics for tests on the shared broker (it creates none on first use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kafka.admin import KafkaAdminClient

from pipelines.events.bus import ConsumedEvent
from pipelines.events.kafka import KafkaEventBus


@contextmanager
def fresh_topics(kafka_url: str, *names: str, partitions: int = 3) -> Iterator[tuple[str, ...]]:
    """Create ``names`` (unique per run, so runs never collide) and delete them afterwards."""
    admin = KafkaAdminClient(
        bootstrap_servers=kafka_url.removeprefix("kafka://").split(","),
        request_timeout_ms=30000,  # the shared test machine can be very busy
        bootstrap_timeout_ms=30000,
    )
    try:
        spec = {"num_partitions": partitions, "replication_factor": 1}
        admin.create_topics({name: spec for name in names}, wait_for_metadata=True)
        yield names
        admin.delete_topics(list(names))
    finally:
        admin.close()


def drain(bus: KafkaEventBus, topic: str, group: str, expected: int) -> list[ConsumedEvent]:
    """Consume until ``expected`` events arrived or several polls in a row brought nothing."""
    got: list[ConsumedEvent] = []
    empty_polls = 0
    while len(got) < expected and empty_polls < 5:
        batch = list(bus.consume(topic, group, max_events=expected - len(got), timeout_s=3))
        empty_polls = 0 if batch else empty_polls + 1
        got.extend(batch)
    return got
