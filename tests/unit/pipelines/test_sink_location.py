"""Where a file-sink table was first written, and a copy or move refused (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.jobs.sink_files import TableMovedError, check_location, claim_location


def test_a_table_is_claimed_where_it_is_and_refused_once_moved(tmp_path: Path) -> None:
    table = tmp_path / "lake" / "bronze" / "events"
    check_location(table)  # nothing written yet: nothing to compare
    claim_location(table)
    claim_location(table)  # the same place: again and again
    check_location(table)
    assert (table / "_location").read_text() == f"{table.resolve()}\n"

    (tmp_path / "lake").rename(tmp_path / "elsewhere")
    moved = tmp_path / "elsewhere" / "bronze" / "events"
    with pytest.raises(TableMovedError, match=f"was written at {table.resolve()}"):
        check_location(moved)
    with pytest.raises(TableMovedError):
        claim_location(moved)
    assert (moved / "_location").read_text() == f"{table.resolve()}\n", "left as it was"


def test_a_table_reached_through_a_symlink_is_where_it_was_written(tmp_path: Path) -> None:
    table = tmp_path / "real" / "events"
    claim_location(table)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    check_location(tmp_path / "link" / "events")
