"""One topic of the on-disk log: immutable segments, their index, and crash recovery.

Layout (read by the Spark file source, so keep it exactly)::

    <root>/<topic>/seg-<base_offset:020d>.jsonl   complete, immutable, one Event JSON per line
    <root>/<topic>/.seg-<base_offset:020d>.jsonl.tmp   being written (dot: ignored by Spark)
    <root>/<topic>/_index.jsonl   one line per segment (underscore: ignored by Spark)
    <root>/<topic>/_lock          fcntl.flock target serialising writers across processes
    <root>/<topic>/_start         the log-start offset, once retention deleted segments before it
"""

from __future__ import annotations

import bisect
import fcntl
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from pipelines.events.envelope import Event
from pipelines.events.errors import BusUnavailable, EventBusError

INDEX_FILE = "_index.jsonl"
LOCK_FILE = "_lock"
START_FILE = "_start"
_T = TypeVar("_T")
_SEGMENT_RE = re.compile(r"^seg-(\d{20})\.jsonl$")


def segment_name(base_offset: int) -> str:
    """The file name of the segment whose first event has ``base_offset``."""
    return f"seg-{base_offset:020d}.jsonl"


@dataclass(frozen=True)
class IndexEntry:
    """One line of ``_index.jsonl``: where a segment starts and the event-time range it covers."""

    segment: str
    base_offset: int
    count: int
    min_ts: str
    max_ts: str

    @property
    def end_offset(self) -> int:
        return self.base_offset + self.count

    def to_line(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":")) + "\n"

    @classmethod
    def for_events(cls, base_offset: int, events: list[Event]) -> IndexEntry:
        stamps = [event.ts for event in events]
        return cls(
            segment=segment_name(base_offset),
            base_offset=base_offset,
            count=len(events),
            min_ts=min(stamps).isoformat(),
            max_ts=max(stamps).isoformat(),
        )


def fsync_dir(directory: Path) -> None:
    """Make a rename or file creation in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, flush it to disk, and close it."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def replace_durably(path: Path, data: bytes, *, unique_temp: bool = False) -> None:
    """Replace ``path`` with ``data`` whole: a crash leaves the old file or the new one.

    The data goes to a temporary file beside ``path`` (``.NAME.tmp``, where a crashed
    writer's debris is simply overwritten), is flushed, and is renamed over ``path``; the
    rename is then made durable. ``unique_temp`` gives the temporary file a name of its own,
    for files that several processes may replace at once.
    """
    suffix = f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp" if unique_temp else ".tmp"
    temp = path.with_name(f".{path.name}{suffix}")
    try:
        write_durably(temp, data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


@contextmanager
def file_lock(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; bounded wait so a stuck writer surfaces."""
    deadline = time.monotonic() + timeout_s
    with open(path, "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BusUnavailable(
                        f"could not lock {path} within {timeout_s}s", path=str(path)
                    ) from None
                time.sleep(0.01)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class TopicLog:
    """Append to, recover, and read one topic directory of the disk log.

    Readers never take the lock: they only see segments listed in the index, and a segment is
    listed only after it was renamed into place complete.
    """

    def __init__(self, directory: Path, lock_timeout_s: float = 30.0) -> None:
        self.directory = directory
        self.lock_timeout_s = lock_timeout_s
        self._entries: list[IndexEntry] = []
        self._bases: list[int] = []
        self._index_pos = 0
        self._cached: tuple[str, list[str]] | None = None
        self._start: int | None = None  # the log-start offset last read from START_FILE

    @property
    def _index_path(self) -> Path:
        return self.directory / INDEX_FILE

    def entries(self) -> list[IndexEntry]:
        """All indexed segments, reading index lines appended since the last call."""
        try:
            with open(self._index_path, "rb") as handle:
                handle.seek(self._index_pos)
                data = handle.read()
        except FileNotFoundError:
            return self._entries
        complete = data[: data.rfind(b"\n") + 1]  # a partial last line is still being written
        for raw in complete.splitlines():
            self._add(IndexEntry(**json.loads(raw)))
        self._index_pos += len(complete)
        return self._entries

    def _add(self, entry: IndexEntry) -> None:
        self._entries.append(entry)
        self._bases.append(entry.base_offset)

    def end_offset(self) -> int:
        """The offset the next published event will get."""
        entries = self.entries()
        return entries[-1].end_offset if entries else 0

    def append(self, events: list[Event], lines: list[str]) -> IndexEntry:
        """Write one new segment holding ``lines`` (the JSON of ``events``) under the lock."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with file_lock(self.directory / LOCK_FILE, self.lock_timeout_s):
            self._repair_index_locked()
            entry = IndexEntry.for_events(self.end_offset(), events)
            final = self.directory / entry.segment
            if final.exists():  # never overwrite a completed segment
                raise EventBusError(f"segment {final} exists but is not indexed", path=str(final))
            # A crashed writer's debris has the temporary file's name and is overwritten.
            replace_durably(final, "".join(lines).encode("utf-8"))
            self._append_index(entry)
            return entry

    def recover(self) -> None:
        """Repair the topic after a crashed writer (takes the lock)."""
        if not self.directory.is_dir():
            return
        with file_lock(self.directory / LOCK_FILE, self.lock_timeout_s):
            self._recover_locked()

    def _recover_locked(self) -> None:
        # Under the lock no writer is active, so temp files are a crashed writer's debris.
        for stale in self.directory.glob(".seg-*.tmp"):
            stale.unlink(missing_ok=True)
        self._repair_index_locked()

    def _repair_index_locked(self) -> None:
        self._truncate_torn_index()
        next_offset = self.end_offset()
        # A crash between rename and index append leaves segments the index does not list.
        while (self.directory / segment_name(next_offset)).exists():
            entry = self._entry_from_segment(next_offset)
            self._append_index(entry)
            next_offset = entry.end_offset

    def _truncate_torn_index(self) -> None:
        # Only a crash mid-append leaves a last line without its newline; check just that byte.
        try:
            with open(self._index_path, "rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                if size == 0:
                    return
                handle.seek(size - 1)
                if handle.read(1) == b"\n":
                    return
                handle.seek(0)
                data = handle.read()
        except FileNotFoundError:
            return
        os.truncate(self._index_path, data.rfind(b"\n") + 1)

    def _entry_from_segment(self, base_offset: int) -> IndexEntry:
        lines = self._segment_lines(segment_name(base_offset))
        return IndexEntry.for_events(base_offset, [Event.from_json(line) for line in lines])

    def _append_index(self, entry: IndexEntry) -> None:
        self.entries()  # catch up first so our own line is read exactly once below
        with open(self._index_path, "ab") as handle:
            handle.write(entry.to_line().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        self.entries()

    def _segment_lines(self, name: str) -> list[str]:
        if self._cached is None or self._cached[0] != name:
            # Segments are immutable, so the last one read can be kept for the next batch.
            text = (self.directory / name).read_text(encoding="utf-8")
            # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085 and others,
            # which JSON leaves unescaped inside strings.
            self._cached = (name, text.split("\n")[:-1])
        return self._cached[1]

    def start_offset(self, refresh: bool = False) -> int:
        """The first offset still in the log: 0 until retention deleted segments."""
        if self._start is None or refresh:
            try:
                self._start = int((self.directory / START_FILE).read_text(encoding="ascii"))
            except FileNotFoundError:
                self._start = 0
        return self._start

    def delete_written_before(
        self, cutoff_s: float, deletable: Callable[[Path], bool] | None = None
    ) -> list[str]:
        """Delete whole segments written (renamed into place) before ``cutoff_s``, a Unix
        time, oldest first, up to the first one ``deletable`` refuses; never the newest
        segment. Returns the names deleted.

        The log-start offset moves past them first (``START_FILE``, replaced atomically), so
        a reader asked for an earlier offset reads from the start instead, as a Kafka
        consumer whose offset retention passed does. Segment files older than the start
        (left by a crash between the two steps) are deleted again.
        """
        if not self.directory.is_dir():
            return []
        with file_lock(self.directory / LOCK_FILE, self.lock_timeout_s):
            self._repair_index_locked()
            start = self.start_offset(refresh=True)
            doomed = []
            for entry in self.entries()[:-1]:  # the newest segment holds the end offset
                path = self.directory / entry.segment
                if entry.end_offset <= start:
                    path.unlink(missing_ok=True)
                    continue
                if path.stat().st_mtime >= cutoff_s or (deletable and not deletable(path)):
                    break  # segments are written in offset order
                doomed.append(entry)
            if not doomed:
                return []
            replace_durably(self.directory / START_FILE, str(doomed[-1].end_offset).encode())
            self._start = doomed[-1].end_offset
            for entry in doomed:
                (self.directory / entry.segment).unlink(missing_ok=True)
            fsync_dir(self.directory)
        return [entry.segment for entry in doomed]

    def read(self, offset: int, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` ``(offset, json_line)`` pairs starting at ``offset``, or at the
        log-start offset when retention deleted ``offset``."""
        return self._from_start(lambda start: self._read(max(offset, start), limit))

    def _read(self, offset: int, limit: int) -> list[tuple[int, str]]:
        entries = self.entries()
        out: list[tuple[int, str]] = []
        index = max(bisect.bisect_right(self._bases, offset) - 1, 0)
        while len(out) < limit and index < len(entries):
            entry = entries[index]
            start = max(offset - entry.base_offset, 0)
            if start < entry.count:
                lines = self._segment_lines(entry.segment)
                stop = min(entry.count, start + limit - len(out))
                out.extend((entry.base_offset + i, lines[i]) for i in range(start, stop))
            index += 1
        return out

    def offset_for_time(self, ts: datetime) -> int:
        """The offset of the first event (in log order) with ``event.ts >= ts``, else the end."""
        return self._from_start(lambda start: self._offset_for_time(ts, start))

    def _from_start(self, read: Callable[[int], _T]) -> _T:
        """``read(log-start offset)``, once more with the start read again if a segment it
        needed is gone: retention deleted it since this reader last read the start."""
        try:
            return read(self.start_offset())
        except FileNotFoundError:
            return read(self.start_offset(refresh=True))

    def _offset_for_time(self, ts: datetime, start: int) -> int:
        for entry in self.entries():
            if entry.end_offset <= start:
                continue
            # Every event of an earlier segment is older than ts, so the answer is in this one.
            if datetime.fromisoformat(entry.max_ts) >= ts:
                lines = self._segment_lines(entry.segment)
                for i, line in enumerate(lines):
                    if Event.from_json(line).ts >= ts:
                        return entry.base_offset + i
        return self.end_offset()
