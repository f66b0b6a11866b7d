"""The transactional-outbox relay: move committed outbox rows onto the event bus.

Commerce writes each domain event into an outbox table in the same transaction as the change
it describes. The relay then fetches unpublished rows, publishes them, and only afterwards
marks them published. So:

* if the bus is down, ``publish`` raises, nothing is marked, and the rows are sent on a
  later pass: nothing is lost;
* a crash (or a failed ``mark_published``) after ``publish`` but before the mark means the
  rows are published again on the next pass. Delivery is therefore at-least-once and
  consumers de-duplicate on ``Event.event_id``, which the outbox row keeps.

Rows are published per topic in outbox order, and each topic's rows are marked as soon as
that topic's publish succeeded, so a failure on one topic does not re-send the others.

Outbox rows name a topic by its built-in name (``commerce``); the relay publishes it under the
name the shop's settings give it on the bus (``TopicNames``), which its consumers read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from pipelines.events.bus import EventBus
from pipelines.events.envelope import Event
from pipelines.events.topics import TopicNames

log = logging.getLogger(__name__)


class OutboxSource(Protocol):
    """Where the relay reads pending events (commerce's ``SqlAlchemyOutboxSource``)."""

    def fetch_unpublished(self, limit: int) -> list[tuple[int, str, Event]]:
        """Up to ``limit`` unpublished ``(id, topic, event)`` rows, oldest first."""
        ...

    def mark_published(self, ids: Sequence[int]) -> None:
        """Record that these rows are on the bus."""
        ...


def relay_once(
    source: OutboxSource, bus: EventBus, batch_size: int = 500, topics: TopicNames | None = None
) -> int:
    """Publish one batch of pending outbox rows, then mark them published.

    Parameters
    ----------
    source
        The outbox to read from.
    bus
        The event bus to publish to.
    batch_size
        Most rows fetched in this pass.
    topics
        The bus names of the topics the rows name (default: their built-in names).

    Returns
    -------
    int
        The number of rows published and marked.

    Raises
    ------
    EventBusError
        If publishing fails; rows of topics already published in this pass stay marked,
        the rest stay pending.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    names = topics or TopicNames()
    rows = source.fetch_unpublished(batch_size)
    by_topic: dict[str, list[tuple[int, Event]]] = {}
    for row_id, topic, event in rows:
        by_topic.setdefault(names.on_bus(topic), []).append((row_id, event))
    relayed = 0
    for topic, items in by_topic.items():
        bus.publish(topic, [event for _, event in items])
        source.mark_published([row_id for row_id, _ in items])
        relayed += len(items)
    return relayed


def run_relay(
    source: OutboxSource,
    bus: EventBus,
    stop: threading.Event,
    batch_size: int = 500,
    idle_s: float = 0.5,
    max_backoff_s: float = 30.0,
    topics: TopicNames | None = None,
) -> int:
    """Relay until ``stop`` is set; survive bus or database outages by backing off.

    Parameters
    ----------
    source, bus, batch_size, topics
        As for :func:`relay_once`.
    stop
        Set it (from another thread or a signal handler) to end the loop after the current pass.
    idle_s
        Wait between passes when the outbox is drained.
    max_backoff_s
        Longest wait between retries while a pass keeps failing (the wait doubles from
        ``idle_s``).

    Returns
    -------
    int
        The total number of rows relayed.
    """
    total = 0
    backoff = idle_s
    while not stop.is_set():
        try:
            count = relay_once(source, bus, batch_size, topics)
        except Exception:
            # A relay daemon must outlive outages of either side; rows stay pending meanwhile.
            log.exception("outbox relay pass failed; retrying in %.1fs", backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff_s)
            continue
        total += count
        backoff = idle_s
        if count < batch_size:  # drained: a full batch means more is probably waiting
            stop.wait(idle_s)
    return total
