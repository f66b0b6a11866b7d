"""A broker `emporium services up` has just started serves consumer groups at once.

These start a second, fresh broker of their own (in ``tmp_path``, on free ports) from the
installed Kafka; the shared one already made its ``__consumer_offsets`` long ago.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from kafka.admin import KafkaAdminClient
from kafka_support import drain

from emporium.services.base import ServiceContext
from emporium.services.errors import NotHealthyError
from emporium.services.kafka import READY_GROUP, TOPICS, KafkaService
from pipelines.events.envelope import Event
from pipelines.events.kafka import KafkaEventBus

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _service_on(state_dir: Path, broker_port: int, controller: int) -> KafkaService:
    class FreshKafka(KafkaService):
        port = broker_port
        controller_port = controller
        extra_ports: ClassVar[tuple[int, ...]] = (controller,)

    return FreshKafka(ServiceContext(state_dir=state_dir, echo=lambda _line: None))


@pytest.fixture
def just_started(tmp_path: Path) -> Iterator[KafkaService]:
    """A brand-new broker, returned the moment `up` says it is ready."""
    service = _service_on(tmp_path, *_free_ports(2))
    try:
        service.up()
        yield service
    finally:
        service.stop()


def _describe(service: KafkaService) -> tuple[dict[str, Any], set[str]]:
    """The ``__consumer_offsets`` topic and the names of the groups the broker knows."""
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{service.port}")
    try:
        (offsets_topic,) = admin.describe_topics(["__consumer_offsets"])
        groups = {group["group_id"] for group in admin.list_groups()}
    finally:
        admin.close()
    return offsets_topic, groups


def test_up_returns_a_broker_on_which_a_first_consumer_reads_commits_and_resumes(
    just_started: KafkaService,
) -> None:
    offsets_topic, groups = _describe(just_started)
    # Before `up` waited for the group coordinator, no group had been used: no such topic.
    assert offsets_topic["error_code"] == 0
    assert len(offsets_topic["partitions"]) == 50
    assert READY_GROUP not in groups  # the probe leaves nothing behind

    url, topic, group = just_started.url, TOPICS[1], "first-group-on-a-new-broker"
    first_batch = [Event(type="view", user_id=f"u{n}") for n in range(9)]
    bus = KafkaEventBus.from_url(url)
    try:
        bus.publish(topic, first_batch)
        consumed = drain(bus, topic, group, expected=9)
        bus.commit(group, consumed)
    finally:
        bus.close()
    assert {c.event.event_id for c in consumed} == {e.event_id for e in first_batch}
    restarted = KafkaEventBus.from_url(url)
    try:
        assert list(restarted.consume(topic, group, timeout_s=3)) == []  # nothing re-delivered
    finally:
        restarted.close()


def test_a_broker_whose_groups_never_work_fails_up_clearly(tmp_path: Path) -> None:
    nothing_listens = _service_on(tmp_path, *_free_ports(2))
    with pytest.raises(NotHealthyError, match="no consumer group could commit within 2s"):
        nothing_listens._wait_for_groups(timeout_s=2)
