"""Publish a replay's events to the bus: in batches, optionally paced by their timestamps."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pipelines.events import Event, EventBus
from pipelines.events.errors import EventBusError
from pipelines.replay.common import TopicEvent


@dataclass
class ReplayStats:
    """How many events went to each topic."""

    published: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> int:
        return sum(self.published.values())


def replay(
    stream: Iterable[TopicEvent],
    bus: EventBus,
    speedup: float | None = None,
    limit: int | None = None,
    batch_size: int = 5000,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplayStats:
    """Publish ``stream`` to ``bus``.

    Parameters
    ----------
    stream
        ``(topic, event)`` pairs in timestamp order.
    speedup
        ``None``: as fast as possible. ``N``: event-time gaps are replayed ``N`` times faster
        (``3600`` plays an hour of the shop per second).
    limit
        Stop after this many events.
    batch_size
        Events per publish call (one on-disk segment each).

    Raises
    ------
    pipelines.events.errors.EventBusError
        When publishing fails; after some events were published, the message says how many
        and that replaying again is safe.
    """
    stats = ReplayStats()
    try:
        _publish_all(stream, bus, stats, speedup, limit, batch_size, sleep)
    except EventBusError as e:
        if not stats.total:
            raise
        raise type(e)(
            f"{e.message} (after {stats.total} events were published; replaying again is "
            "safe: replayed event ids are derived from the rows and silver keeps one of each)",
            **e.details,
        ) from e
    return stats


def _publish_all(
    stream: Iterable[TopicEvent],
    bus: EventBus,
    stats: ReplayStats,
    speedup: float | None,
    limit: int | None,
    batch_size: int,
    sleep: Callable[[float], None],
) -> None:
    buffers: dict[str, list[Event]] = defaultdict(list)
    start_wall, start_ts = time.monotonic(), None
    for topic, event in itertools.islice(stream, limit):
        if speedup:
            start_ts = start_ts or event.ts
            due = (event.ts - start_ts).total_seconds() / speedup
            wait = due - (time.monotonic() - start_wall)
            if wait > 0:
                _flush(bus, buffers, stats)  # what is due is published before pausing
                sleep(wait)
        buffers[topic].append(event)
        if len(buffers[topic]) >= batch_size:
            _flush(bus, {topic: buffers.pop(topic)}, stats)
    _flush(bus, buffers, stats)


def _flush(bus: EventBus, buffers: dict[str, list[Event]], stats: ReplayStats) -> None:
    for topic, events in list(buffers.items()):
        if events:
            bus.publish(topic, events)
            stats.published[topic] += len(events)
    buffers.clear()
