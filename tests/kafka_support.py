"""Fresh Kafka topics for tests on the shared broker (it creates none on first use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kafka.admin import KafkaAdminClient


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
