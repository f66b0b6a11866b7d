"""Choosing the event bus from the events URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.envelope import Event
from pipelines.events.errors import BusUnavailable, UnsupportedBusUrl
from pipelines.events.factory import event_bus_from_url
from pipelines.events.kafka import KafkaEventBus


def test_log_url_gives_the_disk_log_at_that_path(tmp_path: Path) -> None:
    bus = event_bus_from_url(f"log://{tmp_path}/events")
    assert isinstance(bus, DiskLogEventBus)
    assert bus.root == tmp_path / "events"


def test_kafka_url_gives_kafka_without_connecting() -> None:
    bus = event_bus_from_url("kafka://127.0.0.1:59092,broker-2:9092")
    assert isinstance(bus, KafkaEventBus)
    assert bus.bootstrap == ["127.0.0.1:59092", "broker-2:9092"]


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "/var/lib/events",
        "log://relative/path",
        "kafka://",
        "kafka://broker-without-port",
        "kafka://127.0.0.1:59092/topic",
    ],
)
def test_unusable_urls_are_refused_naming_the_url(url: str) -> None:
    with pytest.raises(UnsupportedBusUrl) as caught:
        event_bus_from_url(url)
    assert url in str(caught.value)
    assert caught.value.code == "unsupported_bus_url"


def test_unreachable_kafka_is_reported_unhealthy_within_the_timeout() -> None:
    bus = KafkaEventBus("127.0.0.1:1", health_timeout_s=1.0)  # nothing listens on port 1
    health = bus.health()
    assert health["healthy"] is False
    assert "bootstrap" in str(health["error"]).lower()


def test_publishing_to_unreachable_kafka_raises_bus_unavailable() -> None:
    bus = KafkaEventBus("127.0.0.1:1", request_timeout_s=1.0)
    with pytest.raises(BusUnavailable) as caught:
        bus.publish("clickstream", [Event(type="view", user_id="u1")])
    assert caught.value.code == "bus_unavailable"
    assert isinstance(caught.value.__cause__, Exception)
