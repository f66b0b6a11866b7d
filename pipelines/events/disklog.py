"""``DiskLogEventBus``: the embedded event bus, an append-only log of JSON-lines segments.

Spark's file source can read ``<root>/<topic>/`` directly: completed segments are immutable
and appear atomically, while temporary and bookkeeping files start with ``.`` or ``_``.
Consumer-group offsets live in ``<root>/_offsets/<group>/<topic>.json``.

There is one partition (0) per topic, and a group's position is not shared between live
consumers: run one consumer per group, as with a single-partition Kafka topic.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipelines.events.bus import ConsumedEvent
from pipelines.events.checks import check_name, encode_events, is_valid_name
from pipelines.events.disklog_topic import TopicLog, replace_durably
from pipelines.events.envelope import Event
from pipelines.events.errors import UnsupportedBusUrl

log = logging.getLogger(__name__)

OFFSETS_DIR = "_offsets"
PARTITION = 0
_POLL_INTERVAL_S = 0.05


class DiskLogEventBus:
    """The ``EventBus`` on local disk, safe for several producer processes at once.

    Parameters
    ----------
    root
        Directory holding one sub-directory per topic and ``_offsets/``; created if missing.
    lock_timeout_s
        Longest wait for another process's write lock before ``BusUnavailable``.

    Examples
    --------
    >>> bus = DiskLogEventBus(Path("/tmp/emporium-events"))  # doctest: +SKIP
    >>> bus.publish("clickstream", [Event(type="view", user_id="42", product_id="85123A")])
    >>> batch = list(bus.consume("clickstream", group="indexer"))
    >>> bus.commit("indexer", batch)
    """

    def __init__(self, root: Path, lock_timeout_s: float = 30.0) -> None:
        self.root = Path(root).resolve()
        self.lock_timeout_s = lock_timeout_s
        self.root.mkdir(parents=True, exist_ok=True)
        self._topics: dict[str, TopicLog] = {}
        self._positions: dict[tuple[str, str], int] = {}
        self._mutex = threading.RLock()
        for directory in sorted(self.root.iterdir()):
            if directory.is_dir() and is_valid_name(directory.name):
                self._topic(directory.name).recover()

    @classmethod
    def from_url(cls, url: str) -> DiskLogEventBus:
        """Build from ``log:///absolute/path``."""
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.query or parts.fragment:
            raise UnsupportedBusUrl(
                f"disk-log URL {url!r} must look like log:///absolute/path", url=url
            )
        return cls(Path(unquote(parts.path)))

    def _topic(self, topic: str) -> TopicLog:
        with self._mutex:
            if topic not in self._topics:
                check_name("topic", topic)
                self._topics[topic] = TopicLog(self.root / topic, self.lock_timeout_s)
            return self._topics[topic]

    def publish(self, topic: str, events: Iterable[Event]) -> None:
        """Append ``events`` as one new segment; returns once it is on disk (fsynced).

        Raises
        ------
        InvalidEvent
            If any event fails validation; nothing is written then.
        BusUnavailable
            If another writer holds the topic lock longer than ``lock_timeout_s``.
        """
        log_ = self._topic(topic)
        batch, lines = encode_events(events)
        if not batch:
            return
        with self._mutex:
            entry = log_.append(batch, [line + "\n" for line in lines])
        log.debug(
            "published %d events to %s at offset %d",
            entry.count,
            topic,
            entry.base_offset,
        )

    def consume(
        self, topic: str, group: str, max_events: int = 1000, timeout_s: float = 1.0
    ) -> Iterator[ConsumedEvent]:
        """Yield up to ``max_events`` events after this consumer's position.

        The position starts at the group's committed offset (0 for a new group) and advances
        as events are yielded, so a second call continues where the first stopped; a new
        instance starts again from the committed offset. Waits up to ``timeout_s`` for the
        first event when none is available.
        """
        log_ = self._topic(topic)
        check_name("group", group)
        deadline = time.monotonic() + timeout_s
        remaining = max_events
        while remaining > 0:
            with self._mutex:
                batch = log_.read(self._position(group, topic), remaining)
            if not batch:
                if remaining < max_events or time.monotonic() >= deadline:
                    return
                time.sleep(_POLL_INTERVAL_S)
                continue
            for offset, line in batch:
                # Advance before yielding: a caller that stops early resumes after this event.
                with self._mutex:
                    self._positions[(group, topic)] = offset + 1
                yield ConsumedEvent(topic, PARTITION, offset, Event.from_json(line))
                remaining -= 1

    def _position(self, group: str, topic: str) -> int:
        key = (group, topic)
        if key not in self._positions:
            self._positions[key] = self.committed(group, topic)
        return self._positions[key]

    def commit(self, group: str, consumed: Iterable[ConsumedEvent]) -> None:
        """Store, per topic, the offset after the highest consumed one (atomically)."""
        check_name("group", group)
        next_offsets: dict[str, int] = {}
        for item in consumed:
            next_offsets[item.topic] = max(next_offsets.get(item.topic, 0), item.offset + 1)
        for topic, offset in next_offsets.items():
            # Like Kafka, committing does not move this consumer's read position.
            self._store_offset(group, topic, offset)

    def committed(self, group: str, topic: str) -> int:
        """The group's committed offset for ``topic`` (the next event it will read)."""
        path = self._offset_path(group, topic)
        try:
            return int(json.loads(path.read_text(encoding="utf-8"))["offset"])
        except FileNotFoundError:
            return 0

    def _offset_path(self, group: str, topic: str) -> Path:
        return self.root / OFFSETS_DIR / check_name("group", group) / f"{topic}.json"

    def _store_offset(self, group: str, topic: str, offset: int) -> None:
        check_name("topic", topic)
        path = self._offset_path(group, topic)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"topic": topic, "group": group, "offset": offset}
        record["committed_at"] = datetime.now(UTC).isoformat()
        # Two processes committing the same group must not share a temporary file.
        replace_durably(path, json.dumps(record).encode("utf-8"), unique_temp=True)

    def seek_to_time(self, topic: str, group: str, ts: datetime) -> None:
        """Commit, for ``group``, the offset of the first event of ``topic`` with ``ts`` or later.

        Raises
        ------
        ValueError
            If ``ts`` is naive (no time zone).
        """
        if ts.tzinfo is None:
            raise ValueError("seek_to_time needs a time-zone-aware datetime (UTC)")
        check_name("group", group)
        with self._mutex:
            offset = self._topic(topic).offset_for_time(ts.astimezone(UTC))
            self._store_offset(group, topic, offset)
            self._positions[(group, topic)] = offset

    def _topic_names(self) -> list[str]:
        """The topics on disk: one directory each."""
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and is_valid_name(p.name))

    def delete_written_before(
        self, cutoff: datetime, deletable: Callable[[Path], bool] | None = None
    ) -> dict[str, int]:
        """Retention: delete each topic's segments written before ``cutoff`` (by when they were
        written, not by their events' times: a replay of old data is not expired at once),
        oldest first and up to the first one ``deletable`` refuses (say, one the lake's ingest
        has not read), never a topic's newest. Returns the number deleted per topic that lost
        any. A consumer whose offset was deleted reads on from the topic's first kept event.
        """
        names = self._topic_names()
        deleted = {}
        for name in names:
            with self._mutex:
                gone = self._topic(name).delete_written_before(cutoff.timestamp(), deletable)
            if gone:
                deleted[name] = len(gone)
                log.info("retention deleted %d segments of %s", len(gone), name)
        return deleted

    def health(self) -> dict[str, object]:
        """``{"healthy": bool, "engine": "disklog", "root": ..., "end_offsets": {...}}``."""
        healthy = self.root.is_dir() and os.access(self.root, os.W_OK)
        if not healthy:
            return {"healthy": False, "engine": "disklog", "root": str(self.root)}
        names = self._topic_names()
        with self._mutex:
            ends = {name: self._topic(name).end_offset() for name in names}
        return {
            "healthy": healthy,
            "engine": "disklog",
            "root": str(self.root),
            "end_offsets": ends,
        }

    def close(self) -> None:
        """Forget cached positions and indexes; the files stay as they are."""
        with self._mutex:
            self._topics.clear()
            self._positions.clear()
