"""Which partitions and files compaction rewrites, and into how many files (no Spark)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.jobs.compaction import CompactionSettings
from pipelines.jobs.compaction_plan import (
    MIB,
    LiveFile,
    partition_date,
    partition_values,
    plan_compaction,
    with_erasure,
)
from pipelines.jobs.sink_files import Manifest, live_files

TARGET = 100 * MIB
DAY = date(2024, 3, 10)


def _files(directory: str, *sizes: int) -> list[LiveFile]:
    return [LiveFile(f"{directory}/part-{i}.parquet", size) for i, size in enumerate(sizes)]


def test_small_files_of_a_partition_become_one_file() -> None:
    files = _files("date=2024-03-09/type=view", MIB, 2 * MIB, 3 * MIB)
    [plan] = plan_compaction(files, TARGET, DAY)
    assert plan.directory == "date=2024-03-09/type=view"
    assert plan.files == tuple(f.path for f in files)
    assert (plan.size, plan.outputs) == (6 * MIB, 1)


def test_a_partition_larger_than_the_target_gets_a_file_per_target_size() -> None:
    files = _files("date=2024-03-09/type=view", *[40 * MIB] * 6)  # 240 MiB, each small
    [plan] = plan_compaction(files, TARGET, DAY)
    assert plan.outputs == 3


def test_large_files_stay_and_only_the_small_ones_are_merged() -> None:
    files = _files("date=2024-03-09/type=view", 90 * MIB, 60 * MIB, MIB, MIB)
    [plan] = plan_compaction(files, TARGET, DAY)
    assert plan.files == ("date=2024-03-09/type=view/part-2.parquet",
                          "date=2024-03-09/type=view/part-3.parquet")  # fmt: skip


@pytest.mark.parametrize(
    "sizes",
    [(MIB,), (30 * MIB,), (60 * MIB, 60 * MIB, 60 * MIB), (120 * MIB, MIB)],
    ids=["one-small-file", "one-file", "files-near-the-target", "one-small-beside-a-large"],
)
def test_a_compacted_partition_plans_nothing(sizes: tuple[int, ...]) -> None:
    assert plan_compaction(_files("date=2024-03-09/type=view", *sizes), TARGET, DAY) == []


def test_partitions_after_the_newest_date_or_without_one_are_left_alone() -> None:
    files = [
        *_files("date=2024-03-11/type=view", MIB, MIB),
        *_files("date=__HIVE_DEFAULT_PARTITION__/type=view", MIB, MIB),
        *_files("type=view", MIB, MIB),
        *_files("date=2024-03-10/type=view", MIB, MIB),
    ]
    assert [p.directory for p in plan_compaction(files, TARGET, DAY)] == [
        "date=2024-03-10/type=view"
    ]


def test_plans_come_oldest_first_and_each_partition_on_its_own() -> None:
    files = [
        *_files("date=2024-03-09/type=view", MIB, MIB),
        *_files("date=2024-01-31/type=order", MIB, MIB),
        *_files("date=2024-01-31/type=view", MIB, MIB, MIB),
    ]
    plans = plan_compaction(files, TARGET, DAY)
    assert [(p.directory, len(p.files)) for p in plans] == [
        ("date=2024-01-31/type=order", 2),
        ("date=2024-01-31/type=view", 3),
        ("date=2024-03-09/type=view", 2),
    ]


def test_a_target_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        plan_compaction([], 0, DAY)


def test_escaped_partition_values_are_read_as_spark_wrote_them() -> None:
    assert partition_values("date=2024-03-09/type=a%3Ab%25") == {"date": "2024-03-09",
                                                                 "type": "a:b%"}  # fmt: skip
    assert partition_date("date=2024-03-09/type=x") == date(2024, 3, 9)


def test_readers_read_the_logs_files_less_the_replaced_plus_the_compacted() -> None:
    manifest = Manifest(replaced=frozenset({"d/a", "d/b"}), compacted=frozenset({"d/c-1"}),
                        doomed={"d/a": 1.0})  # fmt: skip
    assert live_files(["d/a", "d/b", "d/late"], manifest) == ["d/c-1", "d/late"]


def test_files_holding_erased_rows_are_rewritten_whatever_their_size_or_date() -> None:
    small = _files("date=2024-03-09/type=view", MIB, 2 * MIB)  # compacted anyway
    large = _files("date=2024-03-08/type=view", 90 * MIB, 250 * MIB)  # never compacted
    today = _files("date=2024-03-11/type=cart", MIB)  # still written to
    files = small + large + today
    plans = plan_compaction(files, TARGET, DAY)
    erasable = [small[0].path, large[1].path, today[0].path]
    merged = {p.directory: p for p in with_erasure(plans, files, erasable, TARGET)}
    assert merged["date=2024-03-09/type=view"] == plans[0]  # already planned: unchanged
    assert merged["date=2024-03-08/type=view"].files == (large[1].path,)  # alone, not 90 MiB
    assert merged["date=2024-03-08/type=view"].outputs == 3
    assert merged["date=2024-03-11/type=cart"].files == (today[0].path,)
    assert list(merged) == sorted(merged)  # oldest first
    assert with_erasure(plans, files, [], TARGET) == plans


def test_the_settings_date_the_newest_partition_and_refuse_an_age_no_date_meets() -> None:
    assert CompactionSettings(min_age_days=1).newest(date(2026, 3, 1)) == date(2026, 2, 28)
    assert CompactionSettings(min_age_days=0).newest(date(2026, 3, 1)) == date(2026, 3, 1)
    for days in (99_999_999, 10**30):  # before the year 1; past what timedelta holds
        with pytest.raises(ValueError, match=f"a minimum age of {days} days reaches back"):
            CompactionSettings(min_age_days=days)
