"""The outbox relay: nothing lost while the bus is down, everything delivered once after."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.events.bus import ConsumedEvent
from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.envelope import Event
from pipelines.events.errors import BusUnavailable, InvalidEvent
from pipelines.events.relay import relay_once, run_relay
from pipelines.events.topics import CLICKSTREAM, COMMERCE, TopicNames


class FakeOutboxSource:
    """An in-memory outbox table: rows in id order, with a published flag."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, Event]] = []
        self.published: set[int] = set()

    def add(self, topic: str, event: Event) -> None:
        self.rows.append((len(self.rows) + 1, topic, event))

    def fetch_unpublished(self, limit: int) -> list[tuple[int, str, Event]]:
        return [row for row in self.rows if row[0] not in self.published][:limit]

    def mark_published(self, ids: Sequence[int]) -> None:
        self.published.update(ids)


class DownBus(DiskLogEventBus):
    """A disk log whose publishing fails, as a bus that is unreachable."""

    def publish(self, topic: str, events: Iterable[Event]) -> None:
        raise BusUnavailable("bus is down")


def order_placed(n: int) -> Event:
    return Event(type="order_placed", user_id=f"u{n % 3}", payload={"order": n})


def everything(bus: DiskLogEventBus, topic: str) -> list[ConsumedEvent]:
    return list(bus.consume(topic, "audit", max_events=10_000, timeout_s=0))


@pytest.fixture
def source() -> FakeOutboxSource:
    outbox = FakeOutboxSource()
    for n in range(7):
        outbox.add(COMMERCE, order_placed(n))
    outbox.add(CLICKSTREAM, Event(type="view", session_id="s1", product_id="85123A"))
    return outbox


def test_bus_down_marks_nothing_and_catch_up_delivers_each_event_once(
    source: FakeOutboxSource, tmp_path: Path
) -> None:
    with pytest.raises(BusUnavailable):
        relay_once(source, DownBus(tmp_path / "down"), batch_size=3)
    assert source.published == set()

    bus = DiskLogEventBus(tmp_path / "log")
    relayed = [relay_once(source, bus, batch_size=3) for _ in range(4)]
    assert relayed == [3, 3, 2, 0]
    assert source.published == {row_id for row_id, _, _ in source.rows}
    commerce = [c.event for c in everything(bus, COMMERCE)]
    assert [e.payload["order"] for e in commerce] == list(range(7))  # once each, in outbox order
    assert [e.product_id for e in (c.event for c in everything(bus, CLICKSTREAM))] == ["85123A"]


def test_rows_go_to_the_topics_under_the_names_the_settings_give_them(
    source: FakeOutboxSource, tmp_path: Path
) -> None:
    # Outbox rows carry the built-in names; consumers read the renamed topics.
    bus = DiskLogEventBus(tmp_path / "log")
    names = TopicNames(clickstream="shop-clicks", commerce="shop-orders")
    assert relay_once(source, bus, batch_size=100, topics=names) == 8
    assert len(everything(bus, "shop-orders")) == 7 and len(everything(bus, "shop-clicks")) == 1
    assert everything(bus, COMMERCE) == everything(bus, CLICKSTREAM) == []


def test_topic_published_before_a_failure_stays_marked(
    source: FakeOutboxSource, tmp_path: Path
) -> None:
    class CommerceOnlyBus(DiskLogEventBus):
        def publish(self, topic: str, events: Iterable[Event]) -> None:
            if topic == CLICKSTREAM:
                raise BusUnavailable("clickstream partition offline")
            super().publish(topic, events)

    bus = CommerceOnlyBus(tmp_path / "log")
    with pytest.raises(BusUnavailable):
        relay_once(source, bus, batch_size=100)
    assert source.published == set(range(1, 8))  # the commerce rows, not the click
    assert len(everything(bus, COMMERCE)) == 7


def test_run_relay_survives_an_outage_then_drains(source: FakeOutboxSource, tmp_path: Path) -> None:
    stop = threading.Event()

    class FlakyBus(DiskLogEventBus):
        failures = 2

        def publish(self, topic: str, events: Iterable[Event]) -> None:
            if self.failures:
                self.failures -= 1
                raise BusUnavailable("still starting")
            super().publish(topic, events)

    class DrainedSignal(FakeOutboxSource):
        def mark_published(self, ids: Sequence[int]) -> None:
            super().mark_published(ids)
            if len(self.published) == len(self.rows):
                stop.set()

    signalling = DrainedSignal()
    signalling.rows = source.rows
    bus = FlakyBus(tmp_path / "log")
    thread = threading.Thread(
        target=lambda: run_relay(signalling, bus, stop, batch_size=4, idle_s=0.01), daemon=True
    )
    thread.start()
    thread.join(timeout=60)
    stop.set()
    assert not thread.is_alive()
    assert len(everything(bus, COMMERCE)) == 7
    assert len(everything(bus, CLICKSTREAM)) == 1


def test_batch_size_must_be_positive(source: FakeOutboxSource, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        relay_once(source, DiskLogEventBus(tmp_path), batch_size=0)


def test_invalid_outbox_event_is_not_marked(tmp_path: Path) -> None:
    outbox = FakeOutboxSource()
    outbox.add(COMMERCE, Event.model_construct(type="", ts=datetime(2026, 1, 1)))
    with pytest.raises(InvalidEvent):
        relay_once(outbox, DiskLogEventBus(tmp_path), batch_size=10)
    assert outbox.published == set()
