"""Bronze compaction with real Spark: events streamed into bronze in many micro-batches, then
compacted; every row stays exactly once, through a crash and while ingest goes on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from ingest_support import assert_exactly_once
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.events import Event
from pipelines.events.disklog import DiskLogEventBus
from pipelines.jobs import compaction
from pipelines.jobs.compaction import CompactionSettings, compact_table
from pipelines.jobs.erasure import Erasure
from pipelines.jobs.ingest import IngestSettings, read_bronze, run_ingest
from pipelines.jobs.lake import LakePaths
from pipelines.jobs.sink_files import committed_files, load_manifest
from pipelines.schema import BRONZE_PARTITIONS
from pipelines.spark import build_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]
TOPICS = ("clickstream", "commerce")
TODAY = datetime.now(UTC).date()
PAST = [TODAY - timedelta(days=d) for d in (3, 2, 1)]
NOW_SETTINGS = CompactionSettings(target_bytes=8 * 1024 * 1024, keep_replaced_s=0)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = build_spark("local[2]", "emporium-it-compaction", "1g", 2, kafka=True)
    yield session


class Shop:
    """An on-disk log, a lake, and the ids of every valid event published to the log."""

    def __init__(self, root: Path) -> None:
        self.bus = DiskLogEventBus(root / "events")
        self.lake = root / "lake"
        self.ids: list[str] = []
        self.n = 0

    def publish(self, days: list[date], rounds: int) -> None:
        """``rounds`` segments per topic, each with a few events on each of ``days``."""
        for _ in range(rounds):
            self.n += 1
            views = [_event("product_view", day, self.n, i) for day in days for i in range(3)]
            orders = [_event("OrderPlaced", day, self.n, i) for day in days for i in range(2)]
            for topic, events in zip(TOPICS, (views, orders), strict=True):
                self.bus.publish(topic, events)
                self.ids += [str(e.event_id) for e in events]

    def ingest(self, spark: SparkSession) -> None:
        # One segment per micro-batch: a file per batch and partition, as a live stream makes.
        settings = IngestSettings(f"log://{self.bus.root}", TOPICS, self.lake,
                                  max_files_per_trigger=1)  # fmt: skip
        run_ingest(spark, settings)

    @property
    def bronze(self) -> Path:
        return LakePaths(self.lake).bronze


def _event(kind: str, day: date, n: int, i: int) -> Event:
    ts = datetime.combine(day, time(12, n % 60, i), tzinfo=UTC)
    payload = {"order_id": f"o{n}-{i}", "lines": []} if kind == "OrderPlaced" else {"n": n}
    return Event(type=kind, ts=ts, user_id=f"u{i}", product_id=f"p{n}", payload=payload)


@pytest.fixture
def shop(spark: SparkSession, tmp_path: Path) -> Shop:
    shop = Shop(tmp_path)
    shop.publish([*PAST, TODAY], rounds=5)
    shop.ingest(spark)
    return shop


def compact(
    spark: SparkSession, shop: Shop, settings: CompactionSettings, erasure: Erasure | None = None
) -> compaction.CompactionReport:
    """Compact the shop's bronze as of ``TODAY``, the day its events were dated by: a run
    crossing midnight UTC would otherwise see yesterday's partitions as old enough."""
    return compact_table(spark, shop.bronze, BRONZE_PARTITIONS, settings, TODAY, erasure)


def _rows(frame: DataFrame) -> list[tuple[object, ...]]:
    return sorted(tuple(r) for r in frame.collect())


def _columns(frame: DataFrame) -> list[tuple[str, object]]:
    """Names and types in order. Not nullability: Spark keeps the footer's only when it reads
    through the sink's log, and makes every column nullable when it reads a list of files."""
    return [(f.name, f.dataType) for f in frame.schema.fields]


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.parquet"))


def _partition(bronze: Path, day: date, kind: str) -> Path:
    return bronze / f"date={day.isoformat()}" / f"type={kind}"


def test_compaction_keeps_every_row_once_in_one_file_per_partition(
    spark: SparkSession, shop: Shop
) -> None:
    before = read_bronze(spark, shop.lake)
    rows, columns = _rows(before), _columns(before)
    assert len(_files(_partition(shop.bronze, PAST[0], "OrderPlaced"))) == 5

    report = compact(spark, shop, CompactionSettings(target_bytes=8 * 1024 * 1024))

    after = read_bronze(spark, shop.lake)
    assert _columns(after) == columns
    assert _rows(after) == rows and len(rows) == len(shop.ids)
    assert {r.event_id for r in after.select("event_id").collect()} == set(shop.ids)
    assert report.partitions == 6 and report.files_rewritten == 30 and report.files_written == 6
    compacted = load_manifest(shop.bronze)
    assert compacted is not None and len(compacted.compacted) == 6
    for day in PAST:
        for kind in ("OrderPlaced", "product_view"):
            live = [f for f in compacted.compacted if f.startswith(f"date={day.isoformat()}/")]
            assert len([f for f in live if f"type={kind}/" in f]) == 1
    # Today's partitions are still being written to: left alone.
    assert len(_files(_partition(shop.bronze, TODAY, "product_view"))) == 5
    # Replaced files stay for readers that listed them, for the grace period.
    assert len(_files(_partition(shop.bronze, PAST[0], "OrderPlaced"))) == 6


def test_compacting_again_does_nothing(spark: SparkSession, shop: Shop) -> None:
    compact(spark, shop, NOW_SETTINGS)
    manifest = load_manifest(shop.bronze)
    files = sorted(str(p) for p in shop.bronze.rglob("*.parquet"))

    again = compact(spark, shop, NOW_SETTINGS)

    assert again.partitions == 0 and again.files_written == 0 and again.files_deleted == 0
    assert load_manifest(shop.bronze) == manifest
    assert sorted(str(p) for p in shop.bronze.rglob("*.parquet")) == files
    assert _files(_partition(shop.bronze, PAST[1], "product_view"))[0].startswith("compacted-")


def test_ingest_goes_on_after_compaction_and_late_events_are_read_once(
    spark: SparkSession, shop: Shop
) -> None:
    compact(spark, shop, NOW_SETTINGS)
    assert len(_files(_partition(shop.bronze, PAST[0], "OrderPlaced"))) == 1

    shop.publish([PAST[0], TODAY], rounds=3)  # late events land in a compacted partition
    shop.ingest(spark)

    assert_exactly_once(spark, shop.lake, shop.ids)
    assert len(_files(_partition(shop.bronze, PAST[0], "OrderPlaced"))) == 4
    compact(spark, shop, NOW_SETTINGS)
    assert_exactly_once(spark, shop.lake, shop.ids)
    assert len(_files(_partition(shop.bronze, PAST[0], "OrderPlaced"))) == 1


def test_compaction_leaves_an_erased_accounts_events_out_of_bronze(
    spark: SparkSession, shop: Shop
) -> None:
    noon = datetime.combine(TODAY, time(12), tzinfo=UTC)
    erased = Event(type="AccountDeleted", ts=noon, user_id="u1", payload={})
    spoofed = Event(type="AccountDeleted", ts=noon, user_id="u2", payload={})  # by a client
    shop.bus.publish("commerce", [erased])
    shop.bus.publish("clickstream", [spoofed])
    shop.ingest(spark)
    before = read_bronze(spark, shop.lake)
    theirs = (F.col("user_id") == "u1") & (F.col("type") != "AccountDeleted")
    expected, gone = _rows(before.where(~theirs)), before.where(theirs).count()

    report = compact(spark, shop, NOW_SETTINGS, Erasure())

    assert _rows(read_bronze(spark, shop.lake)) == expected  # every other row, once
    assert (report.accounts_erased, report.rows_erased) == (1, gone) and gone == 4 * 5 * 2
    # Today's files held them too: rewritten, though compaction leaves today alone otherwise.
    assert len(_files(_partition(shop.bronze, TODAY, "product_view"))) == 1
    again = compact(spark, shop, NOW_SETTINGS, Erasure())
    assert (again.partitions, again.rows_erased, again.accounts_erased) == (0, 0, 1)


class Crash(Exception):
    pass


def _crash(*_: object, **__: object) -> None:
    raise Crash


@pytest.mark.parametrize(
    "step", ["save_manifest", "purge"], ids=["before-commit", "after-commit-before-delete"]
)
def test_a_crashed_compaction_leaves_every_row_once_and_a_rerun_finishes(
    spark: SparkSession, shop: Shop, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    rows = _rows(read_bronze(spark, shop.lake))
    with monkeypatch.context() as patch:
        patch.setattr(compaction, step, _crash)
        with pytest.raises(Crash):
            compact(spark, shop, NOW_SETTINGS)
    # The new files are in the partition directories by now, the old ones not yet deleted.
    assert any(shop.bronze.rglob("compacted-*.parquet"))
    assert _rows(read_bronze(spark, shop.lake)) == rows

    compact(spark, shop, NOW_SETTINGS)

    assert _rows(read_bronze(spark, shop.lake)) == rows
    for day in PAST:
        assert len(_files(_partition(shop.bronze, day, "product_view"))) == 1
    on_disk = {p.relative_to(shop.bronze).as_posix() for p in shop.bronze.rglob("*.parquet")}
    manifest = load_manifest(shop.bronze)
    assert manifest is not None and manifest.doomed == {}
    assert not manifest.replaced & on_disk  # every replaced file deleted
    assert set(committed_files(spark, shop.bronze)) - manifest.replaced <= on_disk
