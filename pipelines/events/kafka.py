"""``KafkaEventBus``: the ``EventBus`` on Apache Kafka, via kafka-python.

Producing: ``acks=all`` with the idempotent producer (kafka-python enables it whenever the
broker supports it), key ``Event.key()`` so one visitor's events share a partition and keep
their order, value the event's JSON, record timestamp the event time. ``publish`` returns
only after every record was acknowledged.

Consuming: one group member per ``(group, topic)``, auto-commit off, explicit commits of
``offset + 1`` per partition. Records polled but not yet handed to the caller are kept, so a
caller that stops iterating early loses nothing.

Caveat: record timestamps are event times (capped at now), so replaying old data into a
topic with time-based retention lets Kafka delete it as soon as a segment rolls; give replay
topics ``retention.ms=-1``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata, TopicPartition

from pipelines.events.bus import ConsumedEvent
from pipelines.events.checks import check_name, encode_events
from pipelines.events.envelope import Event
from pipelines.events.errors import (
    BusUnavailable,
    CommitFailed,
    EventBusError,
    PublishFailed,
    UnsupportedBusUrl,
)

log = logging.getLogger(__name__)
_POLL_SLICE_S = 0.2


@dataclass
class _Member:
    """A consumer-group member reading one topic, and records polled but not yet yielded."""

    consumer: KafkaConsumer
    join_deadline: float
    pending: deque[Any] = field(default_factory=deque)


def _wrap(action: str, error: Exception, **details: Any) -> EventBusError:
    if isinstance(error, KafkaTimeoutError):
        return BusUnavailable(f"Kafka did not answer in time while {action}: {error}", **details)
    if isinstance(error, CommitFailedError):
        return CommitFailed(f"Kafka refused the commit while {action}: {error}", **details)
    return EventBusError(f"Kafka failed while {action}: {error}", **details)


def _record_timestamp_ms(event: Event) -> int:
    # Brokers reject timestamps too far in the future; a client's skewed clock must not.
    return int(min(event.ts, datetime.now(UTC)).timestamp() * 1000)


class KafkaEventBus:
    """The ``EventBus`` on a Kafka cluster; clients are built on first use.

    Parameters
    ----------
    bootstrap
        ``host:port[,host:port...]``.
    request_timeout_s
        Bound on each request and on connecting to the cluster.
    publish_timeout_s
        Bound on ``publish`` waiting for every acknowledgement.
    join_timeout_s
        How long the first ``consume`` of a group may wait for its partition assignment.
    client_id
        Shown in broker logs and group listings.
    """

    def __init__(
        self,
        bootstrap: str,
        request_timeout_s: float = 10.0,
        publish_timeout_s: float = 30.0,
        join_timeout_s: float = 30.0,
        client_id: str = "emporium",
    ) -> None:
        self.bootstrap = [server.strip() for server in bootstrap.split(",") if server.strip()]
        self.request_timeout_ms = int(request_timeout_s * 1000)
        self.publish_timeout_s = publish_timeout_s
        self.join_timeout_s = join_timeout_s
        self.client_id = client_id
        self._producer: KafkaProducer | None = None
        self._members: dict[tuple[str, str], _Member] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> KafkaEventBus:
        """Build from ``kafka://host:port[,host:port...]``."""
        parts = urlsplit(url)
        servers = [server for server in parts.netloc.split(",") if server]
        if not servers or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise UnsupportedBusUrl(f"Kafka URL {url!r} must be kafka://host:port[,...]", url=url)
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise UnsupportedBusUrl(f"Kafka URL {url!r}: {server!r} is not host:port", url=url)
        return cls(",".join(servers))

    def _client_config(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap,
            "client_id": self.client_id,
            "request_timeout_ms": self.request_timeout_ms,
            "bootstrap_timeout_ms": self.request_timeout_ms,
        }

    def _get_producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                self._producer = KafkaProducer(
                    acks="all",
                    max_block_ms=self.request_timeout_ms,
                    delivery_timeout_ms=int(self.publish_timeout_s * 1000),
                    **self._client_config(),
                )
            return self._producer

    def publish(self, topic: str, events: Iterable[Event]) -> None:
        """Send ``events`` keyed by ``Event.key()``; returns once all are acknowledged.

        Raises
        ------
        InvalidEvent
            If any event fails validation; nothing is sent then.
        BusUnavailable, PublishFailed
            If Kafka cannot be reached or refused records; retry the whole batch.
        """
        check_name("topic", topic)
        batch, lines = encode_events(events)
        if not batch:
            return
        try:
            producer = self._get_producer()
            futures = [
                producer.send(
                    topic,
                    value=line.encode("utf-8"),
                    key=event.key().encode("utf-8"),
                    timestamp_ms=_record_timestamp_ms(event),
                )
                for event, line in zip(batch, lines, strict=True)
            ]
            producer.flush(timeout=self.publish_timeout_s)
            for future in futures:
                future.get(timeout=self.publish_timeout_s)
        except KafkaTimeoutError as e:
            raise _wrap(f"publishing to {topic}", e, topic=topic) from e
        except KafkaError as e:
            raise PublishFailed(f"Kafka refused events for {topic}: {e}", topic=topic) from e

    def _member(self, group: str, topic: str) -> _Member:
        key = (check_name("group", group), check_name("topic", topic))
        with self._lock:
            if key not in self._members:
                consumer = KafkaConsumer(
                    topic,
                    group_id=group,
                    enable_auto_commit=False,
                    auto_offset_reset="earliest",  # a new group reads from the start, as on disk
                    **self._client_config(),
                )
                deadline = time.monotonic() + self.join_timeout_s
                self._members[key] = _Member(consumer, deadline)
            return self._members[key]

    def consume(
        self, topic: str, group: str, max_events: int = 1000, timeout_s: float = 1.0
    ) -> Iterator[ConsumedEvent]:
        """Yield up to ``max_events`` events after this member's position in ``group``.

        Waits up to ``timeout_s`` for the first event (the first call of a group may also wait
        up to ``join_timeout_s`` for its partition assignment), then returns what is ready.
        Records that are not valid events are logged and skipped.
        """
        try:
            member = self._member(group, topic)
        except KafkaError as e:
            raise _wrap(f"joining group {group}", e, topic=topic, group=group) from e
        deadline = time.monotonic() + timeout_s
        yielded = 0
        while yielded < max_events:
            if not member.pending and not self._fill(
                member, max_events - yielded, deadline, yielded
            ):
                return
            record = member.pending.popleft()
            if TopicPartition(record.topic, record.partition) not in member.consumer.assignment():
                continue  # revoked by a rebalance: its new owner reads it from the committed offset
            consumed = self._decode(record)
            if consumed is not None:
                yield consumed
                yielded += 1

    def _fill(self, member: _Member, limit: int, deadline: float, yielded: int) -> bool:
        while True:
            joined = bool(member.consumer.assignment())
            end = deadline if joined else max(deadline, member.join_deadline)
            wait_s = 0.0 if yielded else min(max(end - time.monotonic(), 0.0), _POLL_SLICE_S)
            try:
                polled = member.consumer.poll(timeout_ms=int(wait_s * 1000), max_records=limit)
            except KafkaError as e:
                raise _wrap("polling", e) from e
            for records in polled.values():
                member.pending.extend(records)
            if member.pending:
                return True
            if yielded or time.monotonic() >= end:
                return False

    @staticmethod
    def _decode(record: Any) -> ConsumedEvent | None:
        try:
            event = Event.from_json(record.value)
        except ValueError:  # pydantic's ValidationError and json's errors are ValueErrors
            log.warning(
                "skipping a record that is not an event at %s[%d]@%d",
                record.topic,
                record.partition,
                record.offset,
            )
            return None
        return ConsumedEvent(record.topic, record.partition, record.offset, event)

    def commit(self, group: str, consumed: Iterable[ConsumedEvent]) -> None:
        """Commit, per partition, the offset after the highest consumed one.

        Raises
        ------
        CommitFailed
            If the group rebalanced meanwhile; the events will be delivered again.
        """
        by_topic: dict[str, dict[TopicPartition, OffsetAndMetadata]] = {}
        for item in consumed:
            offsets = by_topic.setdefault(item.topic, {})
            tp = TopicPartition(item.topic, item.partition)
            if tp not in offsets or offsets[tp].offset <= item.offset:
                offsets[tp] = OffsetAndMetadata(item.offset + 1, "", -1)
        for topic, offsets in by_topic.items():
            member = self._members.get((group, topic))
            try:
                if member is None:  # nothing of ours in the group: commit as a standalone client
                    self._standalone_commit(group, offsets)
                else:
                    member.consumer.commit(offsets, timeout_ms=self.request_timeout_ms)
            except KafkaError as e:
                raise _wrap(f"committing {group}", e, group=group, topic=topic) from e

    def _standalone_commit(
        self, group: str, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> None:
        consumer = KafkaConsumer(group_id=group, enable_auto_commit=False, **self._client_config())
        try:
            consumer.commit(offsets, timeout_ms=self.request_timeout_ms)
        finally:
            consumer.close(autocommit=False, timeout_ms=self.request_timeout_ms)

    def seek_to_time(self, topic: str, group: str, ts: datetime) -> None:
        """Commit, for every partition, the first offset whose record time is ``ts`` or later.

        This instance's members of ``group`` leave it first: Kafka accepts a reset only for a
        group without live members, so stop the group's consumers elsewhere before seeking.

        Raises
        ------
        ValueError
            If ``ts`` is naive (no time zone).
        CommitFailed
            If the group still has live members in another process.
        """
        if ts.tzinfo is None:
            raise ValueError("seek_to_time needs a time-zone-aware datetime (UTC)")
        check_name("group", group)
        self._leave(group)
        try:
            partitions = self._partitions(topic)
            consumer = KafkaConsumer(
                group_id=group, enable_auto_commit=False, **self._client_config()
            )
            try:
                target = int(ts.timestamp() * 1000)
                found = consumer.offsets_for_times(
                    {tp: target for tp in partitions}, timeout_ms=self.request_timeout_ms
                )
                ends = consumer.end_offsets(partitions, timeout_ms=self.request_timeout_ms)
                offsets = {
                    tp: OffsetAndMetadata(found[tp].offset if found.get(tp) else ends[tp], "", -1)
                    for tp in partitions
                }
                consumer.commit(offsets, timeout_ms=self.request_timeout_ms)
            finally:
                consumer.close(autocommit=False, timeout_ms=self.request_timeout_ms)
        except KafkaError as e:
            raise _wrap(f"seeking {group} on {topic}", e, group=group, topic=topic) from e

    def _partitions(self, topic: str) -> list[TopicPartition]:
        admin = KafkaAdminClient(**self._client_config())
        try:
            (described,) = admin.describe_topics([check_name("topic", topic)])
        finally:
            admin.close()
        if described.get("error_code", 0) != 0 or not described.get("partitions"):
            raise EventBusError(f"Kafka topic {topic!r} does not exist", topic=topic)
        indexes = sorted(p["partition_index"] for p in described["partitions"])
        return [TopicPartition(topic, index) for index in indexes]

    def _leave(self, group: str) -> None:
        with self._lock:
            keys = [key for key in self._members if key[0] == group]
            members = [self._members.pop(key) for key in keys]
        for member in members:
            member.consumer.close(autocommit=False, timeout_ms=self.request_timeout_ms)

    def health(self) -> dict[str, object]:
        """``{"healthy": bool, "engine": "kafka", ...}`` from one bounded metadata request."""
        report: dict[str, object] = {"engine": "kafka", "bootstrap": ",".join(self.bootstrap)}
        try:
            admin = KafkaAdminClient(**self._client_config())
            try:
                cluster = admin.describe_cluster()
            finally:
                admin.close()
        except KafkaError as e:
            return {**report, "healthy": False, "error": str(e)}
        brokers = cluster.get("brokers", [])
        return {
            **report,
            "healthy": bool(brokers),
            "brokers": len(brokers),
            "cluster_id": cluster.get("cluster_id"),
        }

    def close(self) -> None:
        """Leave every group (without committing) and flush and close the producer."""
        for group in {group for group, _ in list(self._members)}:
            self._leave(group)
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=self.publish_timeout_s)
