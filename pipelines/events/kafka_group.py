"""Consumer-group plumbing for ``KafkaEventBus``: one member per (group, topic), and offsets."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer
from kafka.errors import (
    CommitFailedError,
    KafkaError,
    KafkaTimeoutError,
    RebalanceInProgressError,
)
from kafka.structs import OffsetAndMetadata, TopicPartition

from pipelines.events.bus import ConsumedEvent
from pipelines.events.envelope import Event
from pipelines.events.errors import BusUnavailable, CommitFailed, EventBusError

log = logging.getLogger(__name__)
_POLL_SLICE_S = 0.2
Offsets = dict[TopicPartition, OffsetAndMetadata]


def kafka_error(action: str, error: Exception, **details: Any) -> EventBusError:
    """Our error for a kafka-python one; raise it ``from`` the original."""
    if isinstance(error, KafkaTimeoutError):
        return BusUnavailable(f"Kafka did not answer in time while {action}: {error}", **details)
    # kafka-python refuses a commit during a rebalance with RebalanceInProgressError, which
    # is no CommitFailedError; both mean the events come again, which callers handle.
    if isinstance(error, CommitFailedError | RebalanceInProgressError):
        return CommitFailed(f"Kafka refused the commit while {action}: {error}", **details)
    return EventBusError(f"Kafka failed while {action}: {error}", **details)


def next_offsets(consumed: Iterable[ConsumedEvent]) -> dict[str, Offsets]:
    """Per topic and partition, the offset after the highest consumed one."""
    by_topic: dict[str, Offsets] = {}
    for item in consumed:
        offsets = by_topic.setdefault(item.topic, {})
        tp = TopicPartition(item.topic, item.partition)
        if tp not in offsets or offsets[tp].offset <= item.offset:
            offsets[tp] = OffsetAndMetadata(item.offset + 1, "", -1)
    return by_topic


def offsets_at(
    consumer: KafkaConsumer, partitions: list[TopicPartition], ts: datetime, timeout_ms: int
) -> Offsets:
    """Per partition, the first offset with a record time ``>= ts`` (the end if none is)."""
    target = int(ts.timestamp() * 1000)
    found = consumer.offsets_for_times({tp: target for tp in partitions}, timeout_ms=timeout_ms)
    ends = consumer.end_offsets(partitions, timeout_ms=timeout_ms)
    return {
        tp: OffsetAndMetadata(found[tp].offset if found.get(tp) else ends[tp], "", -1)
        for tp in partitions
    }


def _decode(record: Any) -> ConsumedEvent | None:
    try:
        event = Event.from_json(record.value)
    except ValueError:  # pydantic's ValidationError and json's errors are ValueErrors
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        log.warning("skipping a record that is not an event at %s", where)
        return None
    return ConsumedEvent(record.topic, record.partition, record.offset, event)


class GroupMember:
    """A consumer-group member reading one topic.

    Records polled but not yet handed out wait in ``pending``: the consumer's position has
    already moved past them, so dropping them would skip events until the next restart.
    """

    def __init__(self, consumer: KafkaConsumer, join_timeout_s: float) -> None:
        self.consumer = consumer
        self.join_deadline = time.monotonic() + join_timeout_s
        self.pending: deque[Any] = deque()

    def events(self, max_events: int, timeout_s: float) -> Iterator[ConsumedEvent]:
        """Yield up to ``max_events``; wait up to ``timeout_s`` (longer while joining)."""
        deadline = time.monotonic() + timeout_s
        yielded = 0
        while yielded < max_events:
            if not self.pending and not self._fill(max_events - yielded, deadline, yielded):
                return
            record = self.pending.popleft()
            if TopicPartition(record.topic, record.partition) not in self.consumer.assignment():
                continue  # revoked by a rebalance: its new owner reads it from the committed offset
            consumed = _decode(record)
            if consumed is not None:
                yield consumed
                yielded += 1

    def _fill(self, limit: int, deadline: float, yielded: int) -> bool:
        while True:
            # Until the group has assigned us partitions, wait for the join, not the caller.
            end = deadline if self.consumer.assignment() else max(deadline, self.join_deadline)
            wait_s = 0.0 if yielded else min(max(end - time.monotonic(), 0.0), _POLL_SLICE_S)
            try:
                polled = self.consumer.poll(timeout_ms=int(wait_s * 1000), max_records=limit)
            except KafkaError as e:
                raise kafka_error("polling", e) from e
            for records in polled.values():
                self.pending.extend(records)
            if self.pending:
                return True
            if yielded or time.monotonic() >= end:
                return False

    def commit(self, offsets: Offsets, timeout_ms: int) -> None:
        self.consumer.commit(offsets, timeout_ms=timeout_ms)

    def close(self, timeout_ms: int) -> None:
        """Leave the group without committing."""
        self.consumer.close(autocommit=False, timeout_ms=timeout_ms)
