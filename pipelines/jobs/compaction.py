"""Compaction of a file-sink table: each partition's small files rewritten into few large ones.

The streaming ingest writes one file per micro-batch and partition it touches, so bronze
grows by thousands of tiny files, and every job reading it slows down. Compaction rewrites
the small files of the partitions ingest no longer writes to (dated ``min_age_days`` ago or
earlier; ``plan_compaction``) and switches readers to the new files through the table's
manifest (``sink_files``), never touching the sink's ``_spark_metadata`` log or checkpoint:
the stream goes on writing while compaction runs, and a late event landing in a compacted
partition is a new file that is read beside the compacted ones (and compacted next time).

One run, for one table, with one compaction at a time (the caller holds a lock):

1. recover: delete what an interrupted run wrote but never committed (its staging directory,
   ``compacted-*`` files the manifest does not name); no reader ever read them;
2. plan from the files readers read now;
3. rewrite the planned files with Spark into a staging directory, then move each new file
   into its partition directory (still read by nobody);
4. commit: one atomic replacement of the manifest swaps the old files for the new ones;
5. purge: delete files no longer read once they are older than the grace period.

A crash before 4 leaves readers on the old files; after it, on the new ones; never both or
neither, and a rerun finishes the work. Rows are copied as they are (no dedupe, no cast),
except that with an ``Erasure`` (bronze's events) the events of erased accounts are left out,
and every file holding one is rewritten, whatever its partition's age or its size
(``pipelines.jobs.erasure``).
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.jobs.compaction_plan import (
    DEFAULT_TARGET_BYTES,
    LiveFile,
    PartitionPlan,
    partition_values,
    plan_compaction,
    with_erasure,
)
from pipelines.jobs.erasure import Erasable, Erasure, find_erasable, kept
from pipelines.jobs.sink_files import (
    COMPACTION_DIR,
    Manifest,
    check_location,
    committed_files,
    listed_in_the_driver,
    live_files,
    load_manifest,
    save_manifest,
)

PREFIX = "compacted-"


@dataclass(frozen=True)
class CompactionSettings:
    """What a compaction run does (the CLI maps ``Settings`` and options here)."""

    target_bytes: int = DEFAULT_TARGET_BYTES
    min_age_days: int = 1  # 0: today's partitions too
    keep_replaced_s: float = 3600.0  # readers that planned before a commit keep their files
    dry_run: bool = False

    def __post_init__(self) -> None:
        self.newest()  # a minimum age that no date can meet is refused before Spark runs

    def newest(self, today: date | None = None) -> date:
        """The newest partition date old enough to compact (``today``: UTC's by default).

        Raises
        ------
        ValueError
            If ``min_age_days`` reaches back before the year 1.
        """
        try:
            return (today or datetime.now(UTC).date()) - timedelta(days=self.min_age_days)
        except OverflowError as e:
            raise ValueError(
                f"a minimum age of {self.min_age_days} days reaches back before the year 1"
            ) from e


@dataclass(frozen=True)
class CompactionReport:
    partitions: int
    files_rewritten: int
    files_written: int
    bytes_rewritten: int
    files_read_before: int
    files_read_after: int
    files_deleted: int
    accounts_erased: int = 0  # erased accounts the table has an AccountDeleted of
    rows_erased: int = 0  # their other rows, left out of the rewritten files


def compact_table(
    spark: SparkSession,
    table: Path,
    partitions: tuple[str, ...],
    settings: CompactionSettings,
    today: date | None = None,
    erasure: Erasure | None = None,
) -> CompactionReport:
    """Compact the file-sink table at ``table``, partitioned by ``partitions`` (with ``date``),
    leaving erased accounts' events out when given an ``erasure``.

    ``today`` (UTC by default) dates the partitions ingest still writes to.
    """
    table = table.absolute()
    check_location(table)
    manifest = (load_manifest(table) or Manifest()) if settings.dry_run else recover(table)
    live = live_files(committed_files(spark, table), manifest)
    sized = [LiveFile(f, (table / f).stat().st_size) for f in live]
    newest = settings.newest(today)
    erasable = _erasable(spark, table, live, erasure)
    plans = with_erasure(
        plan_compaction(sized, settings.target_bytes, newest), sized, erasable.rows,
        settings.target_bytes,
    )  # fmt: skip
    rewritten = sum(len(p.files) for p in plans)
    written: list[str] = []
    if plans and not settings.dry_run:
        run = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        keep = kept(erasable.accounts) if erasable.accounts else None
        written = rewrite(spark, table, partitions, plans, run, keep)
        manifest = commit(table, manifest, plans, written)
    deleted = 0 if settings.dry_run else purge(table, manifest, settings.keep_replaced_s)
    return CompactionReport(
        partitions=len(plans), files_rewritten=rewritten, files_written=len(written),
        bytes_rewritten=sum(p.size for p in plans), files_read_before=len(live),
        files_read_after=len(live) if settings.dry_run else len(live) - rewritten + len(written),
        files_deleted=deleted, accounts_erased=len(erasable.accounts),
        rows_erased=sum(erasable.rows.values()),
    )  # fmt: skip


def _erasable(
    spark: SparkSession, table: Path, live: list[str], erasure: Erasure | None
) -> Erasable:
    if erasure is None or not live:
        return Erasable(frozenset(), {})
    with listed_in_the_driver(spark):
        frame = spark.read.option("basePath", str(table)).parquet(*[str(table / f) for f in live])
    return find_erasable(frame, table, erasure)


def recover(table: Path) -> Manifest:
    """Remove what an interrupted run left uncommitted; returns the current manifest."""
    manifest = load_manifest(table) or Manifest()
    shutil.rmtree(table / COMPACTION_DIR / "staging", ignore_errors=True)
    known = manifest.compacted | set(manifest.doomed)
    for file in table.glob(f"*=*/**/{PREFIX}*"):
        if file.relative_to(table).as_posix() not in known:
            file.unlink()
    return manifest


def rewrite(
    spark: SparkSession,
    table: Path,
    partitions: tuple[str, ...],
    plans: list[PartitionPlan],
    run: str,
    keep: Column | None = None,
) -> list[str]:
    """Write the planned files' rows (those ``keep`` is true for, if given) as ``outputs``
    files per partition into staging, then move them into their partition directories;
    returns their paths under ``table``. A partition left with no row gets no file."""
    staging = table / COMPACTION_DIR / "staging" / run
    sources = [str(table / f) for plan in plans for f in plan.files]
    with listed_in_the_driver(spark):
        frame = spark.read.option("basePath", str(table)).parquet(*sources)
    if keep is not None:
        frame = frame.where(keep)
    tasks = max(1, min(sum(p.outputs for p in plans), spark.sparkContext.defaultParallelism * 4))
    bucketed = frame.withColumn("_bucket", _bucket(frame, partitions, plans))
    (
        bucketed.repartition(tasks, *partitions, "_bucket")
        .drop("_bucket")
        .write.partitionBy(*partitions)
        .parquet(str(staging))
    )
    return _move_into_place(table, staging, run, {p.directory for p in plans})


def _bucket(frame: DataFrame, partitions: tuple[str, ...], plans: list[PartitionPlan]) -> Column:
    """Which of its partition's ``outputs`` files a row goes to: a hash of the whole row, so a
    retried task puts every row where the first attempt did."""
    sep = "\u0000"
    outputs = {sep.join(partition_values(p.directory)[c] for c in partitions): p.outputs
               for p in plans}  # fmt: skip
    if all(n == 1 for n in outputs.values()):
        return F.lit(0)
    key = F.concat_ws(sep, *[F.col(c).cast("string") for c in partitions])
    lookup = F.create_map(*[F.lit(x) for item in outputs.items() for x in item])
    data = [F.col(c) for c in frame.columns if c not in partitions]
    return F.pmod(F.xxhash64(*data), F.coalesce(lookup[key], F.lit(1)))


def _move_into_place(table: Path, staging: Path, run: str, planned: set[str]) -> list[str]:
    moved = []
    for i, file in enumerate(sorted(staging.rglob("*.parquet"))):
        directory = file.parent.relative_to(staging).as_posix()
        if directory not in planned:  # a partition value Spark escaped differently
            raise RuntimeError(f"compaction wrote {directory!r}, which it did not plan")
        target = f"{directory}/{PREFIX}{run}-{i:05d}.parquet"
        file.replace(table / target)
        moved.append(target)
    shutil.rmtree(staging, ignore_errors=True)  # none when every row was left out
    return moved


def commit(
    table: Path, manifest: Manifest, plans: list[PartitionPlan], written: list[str]
) -> Manifest:
    """Swap the planned files for the written ones in one atomic manifest replacement."""
    planned = {f for plan in plans for f in plan.files}
    now = time.time()
    new = Manifest(
        replaced=manifest.replaced | (planned - manifest.compacted),
        compacted=(manifest.compacted - planned) | set(written),
        doomed={**manifest.doomed, **dict.fromkeys(planned, now)},
    )
    save_manifest(table, new)
    return new


def purge(table: Path, manifest: Manifest, keep_s: float) -> int:
    """Delete the files no longer read for ``keep_s`` seconds or more; returns how many."""
    now = time.time()
    expired = {f for f, since in manifest.doomed.items() if now - since >= keep_s}
    if not expired:
        return 0
    for path in sorted(expired):
        (table / path).unlink(missing_ok=True)  # a purge interrupted earlier deleted some
    doomed = {f: since for f, since in manifest.doomed.items() if f not in expired}
    save_manifest(table, Manifest(manifest.replaced, manifest.compacted, doomed))
    return len(expired)
