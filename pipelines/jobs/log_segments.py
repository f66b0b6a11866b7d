"""The on-disk log segments a lake has ingested, known by content as well as by path.

Spark's file source remembers a segment by its path and skips any file at a path it has seen.
A log written again from scratch reuses those names, so its events would be skipped silently:
ingest refuses it. A copy of the log (``cp -r``, ``rsync`` without ``-t``, a restore) gets new
modification times but the same bytes, and skipping it is right: the fingerprint of each
ingested segment tells the two apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from models.datasets.registry import sha256_of
from pipelines.events.disklog_topic import replace_durably
from pipelines.jobs.lake import LakePaths

SINKS = ("bronze", "quarantine")
# A batch (or compacted batches) of a file source's log in a query's checkpoint.
_SOURCE_LOG_FILE = re.compile(r"^\d+(\.compact)?$")


def check_log_unchanged(root: Path, lake: Path) -> None:
    """Refuse a log whose ingested segments now hold other bytes than the lake read.

    A segment whose modification time is the one ingest saw is the file it read; one with
    another time is taken when its content matches the fingerprint recorded for it.

    Raises
    ------
    ValueError
        Naming the first such segment and what to do.
    """
    known = _fingerprints(lake)
    for path, seen_ms in _seen_segments(lake):
        if not path.is_relative_to(root) or _mtime_ms(path) in (None, seen_ms):
            continue
        if known.get(str(path)) != sha256_of(path):
            raise ValueError(
                f"the event log segment {path} was written again after the lake {lake} "
                "ingested it (was the log deleted?): its new events would be skipped. Ingest "
                "the new log into a new lake"
            )


def record_ingested_segments(lake: Path) -> None:
    """Fingerprint the ingested segments not yet fingerprinted, while they are the very files
    ingest read (same modification time); a copy made later is then recognised."""
    known = _fingerprints(lake)
    added = False
    for path, seen_ms in _seen_segments(lake):
        if str(path) not in known and _mtime_ms(path) == seen_ms:
            known[str(path)] = sha256_of(path)
            added = True
    if added:
        target = LakePaths(lake).log_fingerprints
        replace_durably(target, json.dumps(known, sort_keys=True).encode("utf-8"))


def ingested_segments(lake: Path) -> set[Path]:
    """The log segments both ingest queries (bronze and quarantine) have read into ``lake``:
    the ones retention may delete without the lake losing an event."""
    per_sink = [{path.resolve() for path, _ in _seen_segments(lake, (sink,))} for sink in SINKS]
    return set.intersection(*per_sink)


def _fingerprints(lake: Path) -> dict[str, str]:
    path = LakePaths(lake).log_fingerprints
    if not path.is_file():
        return {}
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _seen_segments(lake: Path, sinks: tuple[str, ...] = SINKS) -> Iterator[tuple[Path, int]]:
    """(path, modification time in ms) of every file the ingest queries have read."""
    for sink in sinks:
        source_log = LakePaths(lake).checkpoint(f"ingest-{sink}") / "sources" / "0"
        files = source_log.iterdir() if source_log.is_dir() else []
        for file in sorted(f for f in files if _SOURCE_LOG_FILE.match(f.name)):
            for line in file.read_text(encoding="utf-8").splitlines()[1:]:  # after "v1"
                entry = json.loads(line)
                yield Path(unquote(urlsplit(entry["path"]).path)), int(entry["timestamp"])


def _mtime_ms(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns // 1_000_000
    except FileNotFoundError:  # a log pruned or moved: nothing of it can be skipped wrongly
        return None
