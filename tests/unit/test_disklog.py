"""The embedded on-disk event log: layout, offsets, consumer groups, concurrency, recovery."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipelines.events.bus import ConsumedEvent
from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.envelope import Event
from pipelines.events.errors import InvalidEvent, InvalidName

TOPIC = "clickstream"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def views(n: int, start: int = 0, ts: datetime = T0, user: str = "u1") -> list[Event]:
    return [
        Event(type="view", ts=ts, user_id=user, product_id=f"P{i}", payload={"seq": i})
        for i in range(start, start + n)
    ]


def seqs(consumed: list[ConsumedEvent]) -> list[int]:
    return [item.event.payload["seq"] for item in consumed]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "events"


def test_round_trip_with_committed_offsets(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(3))
    bus.publish(TOPIC, views(2, start=3))
    consumed = list(bus.consume(TOPIC, "g1", timeout_s=0))
    assert seqs(consumed) == [0, 1, 2, 3, 4]
    assert [c.offset for c in consumed] == [0, 1, 2, 3, 4]
    assert {(c.topic, c.partition) for c in consumed} == {(TOPIC, 0)}
    bus.commit("g1", consumed)
    assert bus.committed("g1", TOPIC) == 5
    assert list(bus.consume(TOPIC, "g1", timeout_s=0)) == []


def test_layout_is_what_the_spark_job_reads(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(3))
    bus.publish(TOPIC, views(2, start=3))
    bus.commit("g1", list(bus.consume(TOPIC, "g1", timeout_s=0)))
    visible = sorted(p.name for p in (root / TOPIC).iterdir() if p.name[0] not in "._")
    assert visible == [f"seg-{0:020d}.jsonl", f"seg-{3:020d}.jsonl"]
    lines = (root / TOPIC / visible[1]).read_text().splitlines()
    assert [json.loads(line)["payload"]["seq"] for line in lines] == [3, 4]
    index = [json.loads(line) for line in (root / TOPIC / "_index.jsonl").read_text().splitlines()]
    assert [(e["segment"], e["base_offset"], e["count"]) for e in index] == [
        (visible[0], 0, 3),
        (visible[1], 3, 2),
    ]
    assert datetime.fromisoformat(index[0]["max_ts"]) == T0
    assert json.loads((root / "_offsets" / "g1" / f"{TOPIC}.json").read_text())["offset"] == 5


def test_text_with_unicode_line_separators_survives(root: Path) -> None:
    bus = DiskLogEventBus(root)
    text = "one\u2028two\u0085three\x1cfour\r\nfive"
    bus.publish(TOPIC, [Event(type="review", user_id="u1", payload={"text": text})])
    (consumed,) = bus.consume(TOPIC, "g1", timeout_s=0)
    assert consumed.event.payload["text"] == text


def test_restarted_consumer_gets_nothing_again_and_loses_nothing(root: Path) -> None:
    DiskLogEventBus(root).publish(TOPIC, views(10))
    first = DiskLogEventBus(root)
    batch = list(first.consume(TOPIC, "g1", max_events=4, timeout_s=0))
    first.commit("g1", batch)
    first.close()
    restarted = DiskLogEventBus(root)
    assert seqs(list(restarted.consume(TOPIC, "g1", timeout_s=0))) == list(range(4, 10))


def test_consumer_that_crashes_before_commit_reads_again(root: Path) -> None:
    DiskLogEventBus(root).publish(TOPIC, views(5))
    crashed = DiskLogEventBus(root)
    assert len(list(crashed.consume(TOPIC, "g1", timeout_s=0))) == 5  # never committed
    again = DiskLogEventBus(root)
    assert seqs(list(again.consume(TOPIC, "g1", timeout_s=0))) == [0, 1, 2, 3, 4]


def test_consume_continues_where_the_last_call_stopped(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(5))
    assert seqs(list(bus.consume(TOPIC, "g1", max_events=2, timeout_s=0))) == [0, 1]
    stream = bus.consume(TOPIC, "g1", timeout_s=0)
    assert next(stream).event.payload["seq"] == 2  # caller stops early
    assert seqs(list(bus.consume(TOPIC, "g1", timeout_s=0))) == [3, 4]


def test_groups_are_independent(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(3))
    bus.commit("g1", list(bus.consume(TOPIC, "g1", timeout_s=0)))
    assert seqs(list(bus.consume(TOPIC, "g2", timeout_s=0))) == [0, 1, 2]


def _produce(root: str, producer: str, batches: int, barrier: Any) -> None:
    bus = DiskLogEventBus(Path(root))
    barrier.wait()
    for b in range(batches):
        bus.publish(TOPIC, views(7, start=b * 7, user=producer))


def test_two_producer_processes_interleave_safely(root: Path) -> None:
    batches = 40
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_produce, args=(str(root), name, batches, barrier))
        for name in ("pa", "pb")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    consumed = list(DiskLogEventBus(root).consume(TOPIC, "g1", max_events=10_000, timeout_s=0))
    assert [c.offset for c in consumed] == list(range(2 * batches * 7))
    assert len({c.event.event_id for c in consumed}) == len(consumed)
    for producer in ("pa", "pb"):
        own = [c.event.payload["seq"] for c in consumed if c.event.user_id == producer]
        assert own == list(range(batches * 7))  # each producer's events once, in order
    for segment in (root / TOPIC).glob("seg-*.jsonl"):
        text = segment.read_text()
        assert text.endswith("\n")
        assert all(Event.from_json(line) for line in text.splitlines())  # no torn line
    assert not list((root / TOPIC).glob(".*.tmp"))


def test_a_consumer_reading_during_concurrent_writes_sees_a_clean_sequence(root: Path) -> None:
    batches = 30
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(3)
    workers = [
        context.Process(target=_produce, args=(str(root), name, batches, barrier))
        for name in ("pa", "pb")
    ]
    for worker in workers:
        worker.start()
    reader = DiskLogEventBus(root)
    barrier.wait()
    seen: list[ConsumedEvent] = []
    while any(worker.is_alive() for worker in workers):
        seen.extend(reader.consume(TOPIC, "live", max_events=50, timeout_s=0.01))
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    seen.extend(reader.consume(TOPIC, "live", max_events=10_000, timeout_s=0))
    assert [c.offset for c in seen] == list(range(2 * batches * 7))
    assert len({c.event.event_id for c in seen}) == len(seen)


def test_seek_to_time_moves_the_group(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(3, ts=T0))
    bus.publish(TOPIC, views(2, start=3, ts=T0 + timedelta(hours=1)))
    late = T0 + timedelta(hours=2)
    bus.publish(TOPIC, [*views(1, start=5, ts=late), *views(1, start=6, ts=T0)])
    bus.commit("g1", list(bus.consume(TOPIC, "g1", timeout_s=0)))

    bus.seek_to_time(TOPIC, "g1", T0 + timedelta(minutes=30))
    assert seqs(list(bus.consume(TOPIC, "g1", timeout_s=0))) == [3, 4, 5, 6]
    bus.seek_to_time(TOPIC, "g1", T0 + timedelta(minutes=90))
    assert seqs(list(DiskLogEventBus(root).consume(TOPIC, "g1", timeout_s=0))) == [5, 6]
    bus.seek_to_time(TOPIC, "g1", T0 + timedelta(days=1))
    assert list(bus.consume(TOPIC, "g1", timeout_s=0)) == []
    bus.seek_to_time(TOPIC, "g1", T0 - timedelta(days=1))
    assert len(list(bus.consume(TOPIC, "g1", timeout_s=0))) == 7


def test_seek_to_time_refuses_a_naive_datetime(root: Path) -> None:
    with pytest.raises(ValueError, match="time-zone"):
        DiskLogEventBus(root).seek_to_time(TOPIC, "g1", datetime(2026, 1, 1))


def test_temp_file_of_a_crashed_writer_is_ignored(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(2))
    debris = root / TOPIC / f".seg-{2:020d}.jsonl.tmp"
    debris.write_text(views(1, start=99)[0].to_json() + '\n{"type": "vi')
    assert seqs(list(DiskLogEventBus(root).consume(TOPIC, "g1", timeout_s=0))) == [0, 1]
    bus.publish(TOPIC, views(2, start=2))
    assert seqs(list(DiskLogEventBus(root).consume(TOPIC, "g1", timeout_s=0))) == [
        0,
        1,
        2,
        3,
    ]
    assert not debris.exists()


def test_crash_between_rename_and_index_append_is_recovered(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(3))
    bus.publish(TOPIC, views(2, start=3))
    index = root / TOPIC / "_index.jsonl"
    first_line, _ = index.read_text().splitlines(keepends=True)
    index.write_text(first_line + '{"segment": "seg-000')  # lost the second line, torn tail
    reopened = DiskLogEventBus(root)
    assert seqs(list(reopened.consume(TOPIC, "g1", timeout_s=0))) == [0, 1, 2, 3, 4]
    reopened.publish(TOPIC, views(1, start=5))
    assert [json.loads(line)["base_offset"] for line in index.read_text().splitlines()] == [0, 3, 5]


def test_invalid_event_raises_and_writes_nothing(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bad = Event.model_construct(type="", ts=datetime(2026, 1, 1))  # bypasses validation
    with pytest.raises(InvalidEvent):
        bus.publish(TOPIC, [*views(3), bad])
    with pytest.raises(InvalidEvent):
        bus.publish(TOPIC, [*views(1), {"type": "view"}])  # type: ignore[list-item]
    assert not list(root.glob(f"{TOPIC}/*seg-*"))
    assert list(bus.consume(TOPIC, "g1", timeout_s=0)) == []
    bus.publish(TOPIC, views(1))
    assert [c.offset for c in bus.consume(TOPIC, "g2", timeout_s=0)] == [0]


def test_unsafe_names_are_refused(root: Path) -> None:
    bus = DiskLogEventBus(root)
    with pytest.raises(InvalidName):
        bus.publish("../escape", views(1))
    with pytest.raises(InvalidName):
        list(bus.consume(TOPIC, "_hidden", timeout_s=0))


def test_health_reports_end_offsets(root: Path) -> None:
    bus = DiskLogEventBus(root)
    bus.publish(TOPIC, views(4))
    health = bus.health()
    assert health["healthy"] is True
    assert health["end_offsets"] == {TOPIC: 4}
