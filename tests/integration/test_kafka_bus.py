"""``KafkaEventBus`` against the real broker started by ``emporium services up``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from kafka_support import drain, fresh_topics

from pipelines.events.envelope import Event
from pipelines.events.errors import CommitFailed, PublishFailed, UnknownTopic
from pipelines.events.kafka import KafkaEventBus

pytestmark = pytest.mark.kafka

PARTITIONS = 3


@pytest.fixture
def topic(kafka_url: str, unique: str) -> Iterator[str]:
    """A fresh three-partition topic per test, so runs against a shared broker never collide."""
    with fresh_topics(kafka_url, f"test-events-{unique}", partitions=PARTITIONS) as (name,):
        yield name


@pytest.fixture
def open_bus(kafka_url: str) -> Iterator[list[KafkaEventBus]]:
    """Buses opened with ``new_bus``; every one is closed after the test."""
    buses: list[KafkaEventBus] = []
    yield buses
    for bus in buses:
        bus.close()


def new_bus(buses: list[KafkaEventBus], kafka_url: str) -> KafkaEventBus:
    bus = KafkaEventBus.from_url(kafka_url)
    buses.append(bus)
    return bus


def clicks(users: int, per_user: int, ts: datetime | None = None) -> list[Event]:
    """Events of several users, interleaved, each user's numbered in order."""
    stamp = ts or datetime.now(UTC)
    return [
        Event(type="view", ts=stamp, user_id=f"u{u}", product_id=f"P{n}", payload={"seq": n})
        for n in range(per_user)
        for u in range(users)
    ]


def test_committed_group_offsets_survive_a_consumer_restart(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    group = f"g-{unique}"
    producer = new_bus(open_bus, kafka_url)
    first_batch = clicks(users=5, per_user=6)
    producer.publish(topic, first_batch)

    first = new_bus(open_bus, kafka_url)
    consumed = drain(first, topic, group, expected=30)
    assert sorted(str(c.event.event_id) for c in consumed) == sorted(
        str(e.event_id) for e in first_batch
    )
    assert {c.partition for c in consumed} <= set(range(PARTITIONS))
    first.commit(group, consumed)
    first.close()

    second_batch = clicks(users=2, per_user=5)
    producer.publish(topic, second_batch)
    restarted = new_bus(open_bus, kafka_url)
    after_restart = drain(restarted, topic, group, expected=10)
    assert {c.event.event_id for c in after_restart} == {e.event_id for e in second_batch}
    assert list(restarted.consume(topic, group, timeout_s=2)) == []  # nothing re-delivered


def test_a_new_member_commits_its_first_batch_while_it_keeps_polling(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    # A lone member that rebalanced again right after joining (kafka-python assigned from a
    # metadata snapshot without the topic) refused commits while that rebalance ran, about
    # half a second after its first batch: poll without waiting and commit, for two seconds.
    group = f"g-{unique}"
    new_bus(open_bus, kafka_url).publish(topic, clicks(users=3, per_user=2))
    member = new_bus(open_bus, kafka_url)
    consumed = drain(member, topic, group, expected=6)
    assert len(consumed) == 6
    watch_until = time.monotonic() + 2.0
    while time.monotonic() < watch_until:
        assert list(member.consume(topic, group, timeout_s=0)) == []
        member.commit(group, consumed)


def test_a_consumer_that_crashes_before_commit_reads_again(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    group = f"g-{unique}"
    events = clicks(users=3, per_user=4)
    new_bus(open_bus, kafka_url).publish(topic, events)
    crashed = new_bus(open_bus, kafka_url)
    assert len(drain(crashed, topic, group, expected=12)) == 12
    crashed.close()  # leaves the group without committing

    again = drain(new_bus(open_bus, kafka_url), topic, group, expected=12)
    assert {c.event.event_id for c in again} == {e.event_id for e in events}


def test_each_users_events_keep_their_order(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    producer = new_bus(open_bus, kafka_url)
    for seq in range(10):  # many small publishes, so keyless records would scatter
        producer.publish(
            topic,
            [Event(type="view", user_id=f"u{u}", payload={"seq": seq}) for u in range(6)],
        )
    consumed = drain(new_bus(open_bus, kafka_url), topic, f"g-{unique}", expected=60)
    assert len(consumed) == 60
    for user in (f"u{u}" for u in range(6)):
        own = [c for c in consumed if c.event.user_id == user]
        assert len({c.partition for c in own}) == 1  # one key, one partition
        assert [c.event.payload["seq"] for c in own] == list(range(10))


def test_seek_to_time_replays_what_was_published_from_that_moment(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    group = f"g-{unique}"
    producer = new_bus(open_bus, kafka_url)
    older, newer = clicks(users=3, per_user=3), clicks(users=3, per_user=2)
    producer.publish(topic, older)
    between = datetime.now(UTC) + timedelta(milliseconds=5)  # record times are milliseconds
    time.sleep(0.05)  # so the next batch is stamped strictly after ``between``
    producer.publish(topic, newer)
    reader = new_bus(open_bus, kafka_url)
    reader.commit(group, drain(reader, topic, group, expected=15))

    reader.seek_to_time(topic, group, between)
    replaying = new_bus(open_bus, kafka_url)
    replayed = drain(replaying, topic, group, expected=6)
    assert {c.event.event_id for c in replayed} == {e.event_id for e in newer}
    replaying.close()  # Kafka resets offsets only for a group without live members

    reader.seek_to_time(topic, group, datetime.now(UTC) + timedelta(minutes=5))
    at_the_end = new_bus(open_bus, kafka_url)
    assert list(at_the_end.consume(topic, group, timeout_s=3)) == []
    at_the_end.close()

    reader.seek_to_time(topic, group, datetime.now(UTC) - timedelta(days=1))
    everything = drain(new_bus(open_bus, kafka_url), topic, group, expected=15)
    assert len({c.event.event_id for c in everything}) == 15


def test_seeking_a_group_with_a_live_consumer_elsewhere_is_refused_clearly(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    group = f"g-{unique}"
    new_bus(open_bus, kafka_url).publish(topic, clicks(users=2, per_user=2))
    live = new_bus(open_bus, kafka_url)
    assert len(drain(live, topic, group, expected=4)) == 4
    with pytest.raises(CommitFailed, match="live consumers"):
        new_bus(open_bus, kafka_url).seek_to_time(topic, group, datetime.now(UTC))


def test_consuming_a_missing_topic_says_so(kafka_url: str, unique: str) -> None:
    bus = KafkaEventBus.from_url(kafka_url)
    try:
        with pytest.raises(UnknownTopic, match=f"no-such-topic-{unique}"):
            list(bus.consume(f"no-such-topic-{unique}", f"g-{unique}", timeout_s=1))
    finally:
        bus.close()


def test_health_reports_the_cluster(kafka_url: str) -> None:
    bus = KafkaEventBus.from_url(kafka_url)
    health = bus.health()
    bus.close()
    assert health["healthy"] is True
    assert isinstance(health["brokers"], int)
    assert health["brokers"] >= 1


def test_a_caller_that_stops_iterating_early_loses_nothing(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    group = f"g-{unique}"
    events = clicks(users=4, per_user=5)
    new_bus(open_bus, kafka_url).publish(topic, events)
    reader = new_bus(open_bus, kafka_url)
    first = next(iter(reader.consume(topic, group, max_events=20, timeout_s=10)))
    rest = drain(reader, topic, group, expected=19)
    got = [first.event.event_id, *(c.event.event_id for c in rest)]
    assert sorted(map(str, got)) == sorted(str(e.event_id) for e in events)


def test_a_refused_batch_raises_and_the_bus_keeps_working(
    kafka_url: str, topic: str, unique: str, open_bus: list[KafkaEventBus]
) -> None:
    bus = new_bus(open_bus, kafka_url)
    huge = Event(type="review", user_id="u1", payload={"text": "x" * 2_000_000})
    with pytest.raises(PublishFailed) as caught:
        bus.publish(topic, [huge])
    assert caught.value.code == "publish_failed"
    fine = clicks(users=1, per_user=3)
    bus.publish(topic, fine)
    consumed = drain(new_bus(open_bus, kafka_url), topic, f"g-{unique}", expected=3)
    assert [c.event.event_id for c in consumed] == [e.event_id for e in fine]
