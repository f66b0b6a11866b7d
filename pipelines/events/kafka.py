"""``KafkaEventBus``: the ``EventBus`` on Apache Kafka, via kafka-python.

Producing: ``acks=all`` with the idempotent producer (kafka-python enables it whenever the
broker supports it), key ``Event.key()`` so one visitor's events share a partition and keep
their order, value the event's JSON. ``publish`` returns only after every record was
acknowledged.

Consuming: one group member per ``(group, topic)``, auto-commit off, explicit commits of
``offset + 1`` per partition. A new group starts at the earliest offset, like the disk log.

Record timestamps are publish times, not ``Event.ts``: Kafka's time-based retention and
segment rolling go by record time, so replaying a 2011 dataset with event-time stamps would
have it deleted minutes later. Hence ``seek_to_time`` here finds the first event *published*
at or after ``ts`` (the same thing as event time for live traffic); the disk log seeks by
``Event.ts``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError, KafkaTimeoutError
from kafka.structs import TopicPartition

from pipelines.events.bus import ConsumedEvent
from pipelines.events.checks import check_name, encode_events
from pipelines.events.envelope import Event
from pipelines.events.errors import CommitFailed, PublishFailed, UnknownTopic, UnsupportedBusUrl
from pipelines.events.kafka_group import GroupMember, kafka_error, next_offsets, offsets_at

log = logging.getLogger(__name__)


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
    health_timeout_s
        Bound on ``health()``, which status pages call while the cluster may be down.
    client_id
        Shown in broker logs and group listings.
    """

    def __init__(
        self,
        bootstrap: str,
        request_timeout_s: float = 10.0,
        publish_timeout_s: float = 30.0,
        join_timeout_s: float = 30.0,
        health_timeout_s: float = 3.0,
        client_id: str = "emporium",
    ) -> None:
        self.bootstrap = [server.strip() for server in bootstrap.split(",") if server.strip()]
        self.request_timeout_ms = int(request_timeout_s * 1000)
        self.publish_timeout_s = publish_timeout_s
        self.join_timeout_s = join_timeout_s
        self.health_timeout_ms = int(health_timeout_s * 1000)
        self.client_id = client_id
        self._producer: KafkaProducer | None = None
        self._members: dict[tuple[str, str], GroupMember] = {}
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

    def _client_config(self, timeout_ms: int | None = None) -> dict[str, Any]:
        timeout_ms = timeout_ms or self.request_timeout_ms
        return {
            "bootstrap_servers": self.bootstrap,
            "client_id": self.client_id,
            "request_timeout_ms": timeout_ms,
            "bootstrap_timeout_ms": timeout_ms,
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
            self._send_all(topic, batch, lines)
        except KafkaError as e:
            # A producer that failed mid-batch may be stuck (idempotence sequence state, full
            # buffer); the caller retries the whole batch, so start it on a fresh one.
            self._discard_producer()
            if isinstance(e, KafkaTimeoutError):
                action = f"publishing to {topic} (is the broker up, does the topic exist?)"
                raise kafka_error(action, e, topic=topic) from e
            raise PublishFailed(f"Kafka refused events for {topic}: {e}", topic=topic) from e

    def _send_all(self, topic: str, batch: list[Event], lines: list[str]) -> None:
        producer = self._get_producer()
        futures = [
            producer.send(
                topic,
                value=line.encode("utf-8"),
                key=event.key().encode("utf-8"),
            )
            for event, line in zip(batch, lines, strict=True)
        ]
        producer.flush(timeout=self.publish_timeout_s)
        for future in futures:
            future.get(timeout=self.publish_timeout_s)  # raises the record's error, if any

    def _discard_producer(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaError:  # close() flushes first, and the batch is known to be failing
            log.debug("dropped a failed producer's unsent records", exc_info=True)

    def _member(self, group: str, topic: str) -> GroupMember:
        key = (check_name("group", group), check_name("topic", topic))
        with self._lock:
            if key not in self._members:
                try:
                    consumer = KafkaConsumer(
                        group_id=group,
                        enable_auto_commit=False,
                        auto_offset_reset="earliest",
                        **self._client_config(),
                    )
                    # Subscribe, then load the topic's partitions, before the first poll joins:
                    # kafka-python may otherwise assign from metadata lacking them and stay with
                    # no partitions. In this order the leader's metadata snapshot already holds
                    # the topic when it assigns; loaded before subscribing, the snapshot is empty,
                    # and the first metadata refresh after joining forces a second rebalance, in
                    # which a commit of the first batch fails (RebalanceInProgressError).
                    consumer.subscribe([topic])
                    known = consumer.partitions_for_topic(topic)
                except KafkaError as e:
                    raise kafka_error(f"joining {group}", e, group=group, topic=topic) from e
                if not known:
                    consumer.close(autocommit=False, timeout_ms=self.request_timeout_ms)
                    raise UnknownTopic(f"Kafka topic {topic!r} does not exist", topic=topic)
                self._members[key] = GroupMember(consumer, self.join_timeout_s)
            return self._members[key]

    def consume(
        self, topic: str, group: str, max_events: int = 1000, timeout_s: float = 1.0
    ) -> Iterator[ConsumedEvent]:
        """Yield up to ``max_events`` events after this member's position in ``group``.

        Waits up to ``timeout_s`` for the first event (the first call of a group may also wait
        up to ``join_timeout_s`` for its partition assignment), then returns what is ready.
        Records that are not valid events are logged and skipped.
        """
        yield from self._member(group, topic).events(max_events, timeout_s)

    def commit(self, group: str, consumed: Iterable[ConsumedEvent]) -> None:
        """Commit, per partition, the offset after the highest consumed one.

        Raises
        ------
        CommitFailed
            If the group rebalanced meanwhile; the events will be delivered again.
        """
        for topic, offsets in next_offsets(consumed).items():
            member = self._members.get((group, topic))
            try:
                if member is None:  # no member of ours in the group: commit from outside it
                    with self._standalone(group) as consumer:
                        consumer.commit(offsets, timeout_ms=self.request_timeout_ms)
                else:
                    member.commit(offsets, self.request_timeout_ms)
            except KafkaError as e:
                raise kafka_error(f"committing {group}", e, group=group, topic=topic) from e

    @contextmanager
    def _standalone(self, group: str) -> Iterator[KafkaConsumer]:
        """A client that commits for ``group`` without joining it (accepted while it is empty)."""
        consumer = KafkaConsumer(group_id=group, enable_auto_commit=False, **self._client_config())
        try:
            yield consumer
        finally:
            consumer.close(autocommit=False, timeout_ms=self.request_timeout_ms)

    def seek_to_time(self, topic: str, group: str, ts: datetime) -> None:
        """Commit, for every partition, the first offset published at ``ts`` or later.

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
            with self._standalone(group) as consumer:
                offsets = offsets_at(consumer, partitions, ts, self.request_timeout_ms)
                consumer.commit(offsets, timeout_ms=self.request_timeout_ms)
        except CommitFailedError as e:
            message = f"cannot seek group {group!r}: it has live consumers elsewhere; stop them"
            raise CommitFailed(f"{message} ({e})", group=group, topic=topic) from e
        except KafkaError as e:
            raise kafka_error(f"seeking {group} on {topic}", e, group=group, topic=topic) from e

    def _partitions(self, topic: str) -> list[TopicPartition]:
        # The admin client's metadata request is bounded and never auto-creates the topic.
        admin = KafkaAdminClient(**self._client_config())
        try:
            (described,) = admin.describe_topics([check_name("topic", topic)])
        finally:
            admin.close()
        if described.get("error_code", 0) != 0 or not described.get("partitions"):
            raise UnknownTopic(f"Kafka topic {topic!r} does not exist", topic=topic)
        indexes = sorted(p["partition_index"] for p in described["partitions"])
        return [TopicPartition(topic, index) for index in indexes]

    def _leave(self, group: str) -> None:
        with self._lock:
            keys = [key for key in self._members if key[0] == group]
            members = [self._members.pop(key) for key in keys]
        for member in members:
            member.close(self.request_timeout_ms)

    def health(self) -> dict[str, object]:
        """``{"healthy": bool, "engine": "kafka", ...}`` from one bounded metadata request."""
        report: dict[str, object] = {"engine": "kafka", "bootstrap": ",".join(self.bootstrap)}
        try:
            admin = KafkaAdminClient(**self._client_config(self.health_timeout_ms))
            try:
                cluster = admin.describe_cluster()
            finally:
                admin.close()
        except KafkaError as e:
            return {**report, "healthy": False, "error": str(e)}
        brokers = cluster.get("brokers", [])
        return {**report, "healthy": bool(brokers), "brokers": len(brokers)}

    def close(self) -> None:
        """Leave every group (without committing), then flush and close the producer."""
        for group in {group for group, _ in list(self._members)}:
            self._leave(group)
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=self.publish_timeout_s)
