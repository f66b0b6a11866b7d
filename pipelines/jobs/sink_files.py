"""The files a file-sink table (bronze events, quarantine) is read from, once compacted.

A Structured Streaming file sink records every file it commits in its ``_spark_metadata``
log, and a reader of the table's root directory reads exactly those files (Spark's
``MetadataLogFileIndex``: it takes paths and sizes from the log and lists no directory, so a
file added behind the log is never seen, and one deleted behind it fails the read). Since
Spark 3.1 the log has no "delete" entry, and the sink skips any batch whose id the log already
holds, so nothing but the stream may write there: an entry added by another writer would make
the stream drop its next batch.

So compaction keeps its own manifest beside the log, ``_compaction/manifest.json``, replaced
atomically (written aside, then renamed over):

* ``replaced``: files the sink log lists that readers no longer read (their rows were
  rewritten into compacted files);
* ``compacted``: compaction's files, read instead (they sit in the partition directories but
  are not in the log);
* ``doomed``: files no longer read, with the time they stopped being read; they are deleted
  once older than a grace period, so a reader that planned its files before that keeps them.

The files readers read are then ``log - replaced + compacted`` (``live_files``). A table with
no manifest is read through the log exactly as before. Readers load the manifest *before* the
log: the log only grows, so it then lists every file the manifest's compacted files replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pyspark.sql import DataFrame, SparkSession

from pipelines.events.disklog_topic import replace_durably

COMPACTION_DIR = "_compaction"  # a leading underscore: Spark's directory listings skip it
MANIFEST_VERSION = 1
LOCATION_FILE = "_location"  # where the table was first written, for check_location


class TableMovedError(ValueError):
    """A file-sink table found at another path than the one it was written at."""


def claim_location(table: Path) -> None:
    """Before the sink writes ``table``: write down where it is, or refuse if it was
    written somewhere else (``check_location``)."""
    check_location(table)
    marker = table / LOCATION_FILE
    if not marker.is_file():
        table.mkdir(parents=True, exist_ok=True)
        replace_durably(marker, f"{table.resolve()}\n".encode())


def check_location(table: Path) -> None:
    """Refuse a table that was copied or moved since the sink first wrote it.

    The sink's log names each file by the absolute path it was written at: a copy would read
    the original's files (while they exist; none once they are gone) and a stream resuming
    there would append to a log that names them. A table the sink never wrote here (no
    ``_location`` yet) passes.

    Raises
    ------
    TableMovedError
        If ``table`` was first written at another path.
    """
    try:
        written = (table / LOCATION_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return
    if written != str(table.resolve()):
        raise TableMovedError(
            f"{table} was written at {written}, and its file-sink log names every file by "
            "the path it was written at, so it cannot be read or appended to here: move it "
            "back, or ingest again into a new lake (the event log still holds what it keeps)"
        )


@dataclass(frozen=True)
class Manifest:
    """What compaction changed about which files a sink table is read from."""

    replaced: frozenset[str] = frozenset()
    compacted: frozenset[str] = frozenset()
    doomed: Mapping[str, float] = field(default_factory=dict)


def manifest_path(table: Path) -> Path:
    return table / COMPACTION_DIR / "manifest.json"


def load_manifest(table: Path) -> Manifest | None:
    """The table's manifest; None if it was never compacted."""
    path = manifest_path(table)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != MANIFEST_VERSION:
        raise ValueError(f"{path}: manifest version {data.get('version')!r} is not supported")
    return Manifest(frozenset(data["replaced"]), frozenset(data["compacted"]), data["doomed"])


def save_manifest(table: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically: a crash leaves the old one or the new one, whole."""
    path = manifest_path(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": MANIFEST_VERSION,
        "replaced": sorted(manifest.replaced),
        "compacted": sorted(manifest.compacted),
        "doomed": dict(sorted(manifest.doomed.items())),
    }
    replace_durably(path, json.dumps(data).encode("utf-8"))


def committed_files(spark: SparkSession, table: Path) -> list[str]:
    """The files the sink's log lists, relative to ``table``.

    A schema is given so Spark infers none: inferring reads a file's footer, and the file it
    picks may be one compaction has deleted. Only the log is read, no data file.
    """
    root = table.absolute()
    uris = spark.read.schema("_unused string").parquet(str(root)).inputFiles()
    return sorted(under_table(u, root) for u in uris)


def under_table(uri: str, root: Path) -> str:
    """A data file's path relative to the table's root, from the URI Spark names it by
    (``file:///…/date=2024-01-01/type=a%253Ab/part-….parquet``, escapes undone)."""
    return Path(unquote(urlsplit(uri).path)).relative_to(root).as_posix()


def live_files(committed: list[str], manifest: Manifest) -> list[str]:
    """The files readers read: the log's, less those replaced, plus the compacted ones."""
    return sorted({f for f in committed if f not in manifest.replaced} | manifest.compacted)


def read_sink(spark: SparkSession, table: Path) -> DataFrame:
    """Every committed row of a file-sink table once, whether or not it was compacted."""
    check_location(table)
    manifest = load_manifest(table)  # before the log: see the module's docstring
    if manifest is None:
        return spark.read.parquet(str(table))
    files = live_files(committed_files(spark, table), manifest)
    root = table.absolute()
    with listed_in_the_driver(spark):
        return spark.read.option("basePath", str(root)).parquet(*[str(root / f) for f in files])


@contextmanager
def listed_in_the_driver(spark: SparkSession) -> Iterator[None]:
    """Past 32 paths Spark lists them in a distributed job; for known files (nothing to walk)
    that job cost 7.8 s on 563 files, where the driver took 0.7 s. Spark lists when the
    DataFrame is created, so the setting is only needed that long."""
    key = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    previous = spark.conf.get(key, None)
    spark.conf.set(key, str(2**31 - 1))
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)
