"""Where each table of the lake lives. One bus feeds one lake (one checkpoint per sink)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LakePaths:
    """The lake's layout under ``root``.

    Bronze and quarantine are Structured Streaming file-sink outputs: read them with
    ``ingest.read_bronze`` / ``read_quarantine`` only. Those read the files the sink's
    ``_spark_metadata`` log lists (only committed ones), less those compaction replaced, plus
    its own (``sink_files``). A plain read of the root directory fails once compaction has
    deleted replaced files; one of a partition directory also sees uncommitted files.
    """

    root: Path

    @property
    def bronze(self) -> Path:
        return self.root / "bronze" / "events"

    @property
    def quarantine(self) -> Path:
        return self.root / "bronze" / "quarantine"

    def checkpoint(self, sink: str) -> Path:
        return self.root / "_checkpoints" / sink

    @property
    def log_fingerprints(self) -> Path:
        """sha256 of each on-disk log segment ingested, by path (``log_segments``)."""
        return self.root / "_checkpoints" / "log-segments.json"

    def silver(self, table: str) -> Path:
        return self.root / "silver" / table

    def gold(self, table: str) -> Path:
        return self.root / "gold" / table


def staged(table: Path) -> Path:
    """Where a table's next version is written before it is swapped in."""
    return table.with_name(f".{table.name}.staging")


def swapped_out(table: Path) -> Path:
    """Where a table's previous version waits during a swap. A run stopped between the swap's
    two renames leaves the table only here: readers may read it here, the next batch puts it
    back (``batch.restore``)."""
    return table.with_name(f".{table.name}.old")
