"""Retention of the on-disk event log: whole segments written before a cutoff are deleted,
readers go on from the first event kept, offsets never restart."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emporium.worker import log_retention
from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.disklog_topic import START_FILE, TopicLog
from pipelines.events.envelope import Event

TOPIC = "clickstream"
NOW = datetime.now(UTC)


def views(n: int, start: int) -> list[Event]:
    return [
        Event(type="view", user_id="u1", product_id=f"P{i}", payload={"seq": i})
        for i in range(start, start + n)
    ]


def seqs(bus: DiskLogEventBus, group: str) -> list[int]:
    return [c.event.payload["seq"] for c in bus.consume(TOPIC, group, max_events=100)]


def _age(root: Path, segment: str, days: float) -> None:
    """Make ``segment`` look written ``days`` ago."""
    stamp = time.time() - days * 86400
    os.utime(root / TOPIC / segment, (stamp, stamp))


@pytest.fixture
def bus(tmp_path: Path) -> DiskLogEventBus:
    """Three segments of 2 events each (offsets 0-1, 2-3, 4-5), written 10, 5 and 1 days ago."""
    bus = DiskLogEventBus(tmp_path / "events")
    for i, days in enumerate((10, 5, 1)):
        bus.publish(TOPIC, views(2, start=2 * i))
        _age(bus.root, f"seg-{2 * i:020d}.jsonl", days)
    return bus


def test_segments_written_before_the_cutoff_go_and_readers_start_after_them(
    bus: DiskLogEventBus,
) -> None:
    assert bus.delete_written_before(NOW - timedelta(days=3)) == {TOPIC: 2}
    assert sorted(p.name for p in (bus.root / TOPIC).glob("seg-*")) == [f"seg-{4:020d}.jsonl"]
    assert (bus.root / TOPIC / START_FILE).read_text() == "4"
    assert seqs(bus, "new-group") == [4, 5], "a new group starts at the first event kept"
    bus.publish(TOPIC, views(1, start=6))
    assert bus.health()["end_offsets"] == {TOPIC: 7}, "offsets go on; they never restart"
    assert [c.offset for c in bus.consume(TOPIC, "another", max_events=10)] == [4, 5, 6]
    assert bus.delete_written_before(NOW - timedelta(days=3)) == {}, "nothing more is old"


def test_the_newest_segment_is_kept_however_old(bus: DiskLogEventBus) -> None:
    _age(bus.root, f"seg-{4:020d}.jsonl", 30)
    assert bus.delete_written_before(NOW) == {TOPIC: 2}
    assert seqs(bus, "g") == [4, 5]


def test_a_group_whose_offset_was_deleted_reads_on_from_the_start(bus: DiskLogEventBus) -> None:
    first = list(bus.consume(TOPIC, "indexer", max_events=1))
    bus.commit("indexer", first)
    bus.delete_written_before(NOW - timedelta(days=3))
    restarted = DiskLogEventBus(bus.root)  # another process: its offset 1 is gone
    assert seqs(restarted, "indexer") == [4, 5]


def test_a_reader_that_read_the_start_before_a_deletion_reads_from_the_new_start(
    bus: DiskLogEventBus,
) -> None:
    reader = TopicLog(bus.root / TOPIC)
    assert reader.start_offset() == 0
    bus.delete_written_before(NOW - timedelta(days=3))
    assert [offset for offset, _ in reader.read(0, 10)] == [4, 5]


def test_seek_to_time_skips_deleted_segments(bus: DiskLogEventBus) -> None:
    bus.delete_written_before(NOW - timedelta(days=3))
    bus.seek_to_time(TOPIC, "g", datetime(2000, 1, 1, tzinfo=UTC))
    assert bus.committed("g", TOPIC) == 4


def test_a_crash_between_moving_the_start_and_deleting_is_finished_next_time(
    bus: DiskLogEventBus,
) -> None:
    (bus.root / TOPIC / START_FILE).write_text("2")  # moved past the first segment; none gone
    assert seqs(bus, "g") == [2, 3, 4, 5]
    assert bus.delete_written_before(NOW - timedelta(days=30)) == {}
    assert not (bus.root / TOPIC / f"seg-{0:020d}.jsonl").exists()


def test_retention_stops_at_the_first_segment_it_may_not_delete(bus: DiskLogEventBus) -> None:
    unread = bus.root / TOPIC / f"seg-{2:020d}.jsonl"
    deleted = bus.delete_written_before(NOW, deletable=lambda path: path != unread)
    assert deleted == {TOPIC: 1}
    assert seqs(bus, "g") == [2, 3, 4, 5]


def test_the_worker_runs_retention_only_when_set_and_at_most_once_a_minute(
    bus: DiskLogEventBus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.jobs.log_segments as segments

    lake = tmp_path / "lake"
    assert log_retention(bus, None, lake) is None
    assert log_retention(object(), 24.0, lake) is None, "Kafka keeps its own retention"
    run = log_retention(bus, keep_hours=72.0, lake=lake)
    assert run is not None
    assert run() == {}, "the lake has read nothing: nothing goes"
    everything = {p.resolve() for p in (bus.root / TOPIC).glob("seg-*")}
    monkeypatch.setattr(segments, "ingested_segments", lambda _: everything)
    run = log_retention(bus, keep_hours=72.0, lake=lake)
    assert run is not None and run() == {TOPIC: 2}
    _age(bus.root, f"seg-{4:020d}.jsonl", 30)
    bus.publish(TOPIC, views(1, start=6))
    assert run() == {}, "within the minute: not again"
