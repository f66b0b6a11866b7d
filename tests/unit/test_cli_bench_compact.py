"""`emporium bench compact`: the check that refuses figures compared across different data,
and one tiny end-to-end run with real Spark (its JSON, and compaction left fewer files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import WIDE
from typer.testing import CliRunner

from emporium.bench.compact_run import BronzeChanged, Snapshot, check_same
from emporium.cli import app

IDS = ["a", "b", "c"]


def snap(rows: int, ids: list[str]) -> Snapshot:
    return Snapshot(files=1, bytes=1, rows=rows, ids=frozenset(ids), read_s=0.1)


def test_the_same_rows_and_ids_before_and_after_pass() -> None:
    check_same(snap(3, IDS), snap(3, IDS), IDS)


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (snap(3, IDS), snap(2, IDS[:2]), "1 event ids lost, 0 new"),
        (snap(3, IDS), snap(3, ["a", "b", "d"]), "1 event ids lost, 1 new"),
        (snap(3, IDS), snap(4, IDS), "3 rows before, 4 after"),  # a row read twice
        (snap(2, IDS[:2]), snap(2, IDS[:2]), "not what was published"),  # ingest lost one
        (snap(4, IDS), snap(4, IDS), "not what was published"),  # ingest duplicated one
    ],
)
def test_bronze_that_changed_fails_the_benchmark(
    before: Snapshot, after: Snapshot, message: str
) -> None:
    with pytest.raises(BronzeChanged, match=message):
        check_same(before, after, IDS)


@pytest.mark.spark
@pytest.mark.slow
def test_bench_compact_builds_fragmented_bronze_and_reports_fewer_files_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_SPARK__DRIVER_MEMORY", "1g")
    out = tmp_path / "compact.json"
    sizes = ["--events", "40", "--days", "2", "--batches", "4", "--repeats", "1"]
    args = ["bench", "compact", *sizes, "--master", "local[1]", "--json", str(out)]
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report) == {
        "events", "days", "batches", "repeats", "target_mb", "spark_master", "rows",
        "partitions_compacted", "files_before", "files_after", "bytes_before", "bytes_after",
        "read_s_before", "read_s_after", "compact_s", "build_s",
    }  # fmt: skip
    assert (report["events"], report["days"], report["batches"]) == (40, 2, 4)
    assert report["rows"] == 40
    # 4 micro-batches x 2 days x 2 types of their topic, then one file per (day, type).
    assert report["files_before"] == 16 and report["files_after"] == 8
    assert report["files_after"] < report["files_before"]
    assert report["partitions_compacted"] == 8
    assert "40 rows and their event ids the same before and after" in result.output
    assert not any((tmp_path / "state" / "bench").iterdir())  # the temporary bronze is gone
