"""The ``EventBus`` port. Adapters: ``DiskLogEventBus`` (embedded) and ``KafkaEventBus``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pipelines.events.envelope import Event


@dataclass(frozen=True)
class ConsumedEvent:
    """An event as read from the bus, with where it sits there."""

    topic: str
    partition: int
    offset: int
    event: Event


class EventBus(Protocol):
    """Publish keyed events; consume them in a consumer group with committed offsets."""

    def publish(self, topic: str, events: Iterable[Event]) -> None:
        """Append events durably, keyed by ``Event.key()``; returns when they are stored."""
        ...

    def consume(
        self, topic: str, group: str, max_events: int = 1000, timeout_s: float = 1.0
    ) -> Iterator[ConsumedEvent]:
        """Yield up to ``max_events`` events after the group's committed position."""
        ...

    def commit(self, group: str, consumed: Iterable[ConsumedEvent]) -> None:
        """Record that the group has processed these events (at-least-once delivery)."""
        ...

    def seek_to_time(self, topic: str, group: str, ts: datetime) -> None:
        """Move the group's position to the first event at or after ``ts``."""
        ...

    def health(self) -> dict[str, object]:
        """``{"healthy": bool, ...}`` for status pages."""
        ...

    def close(self) -> None: ...
