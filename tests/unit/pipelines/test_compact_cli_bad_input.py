"""``emporium compact`` refuses what cannot work before Spark starts: one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import WIDE, flat
from typer.testing import CliRunner

from emporium import steps
from emporium.cli import app
from emporium.settings import Settings

runner = CliRunner(env=WIDE)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_SPARK__MASTER", "spark://127.0.0.1:1")  # never reached
    return tmp_path / "state"


def _bronze(state: Path) -> None:
    (state / "lake" / "bronze" / "events" / "_spark_metadata").mkdir(parents=True)


def test_compact_without_bronze_says_to_ingest_first(state: Path) -> None:
    result = runner.invoke(app, ["compact"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: no bronze table at ")
    assert "run `emporium ingest` first" in result.stderr
    assert not (state / "lake").exists()


@pytest.mark.parametrize(
    ("args", "option"),
    [(["--target-mb", "0"], "--target-mb"), (["--min-age-days", "-1"], "--min-age-days"),
     (["--target-mb", "big"], "--target-mb")],
)  # fmt: skip
def test_bad_options_are_refused(state: Path, args: list[str], option: str) -> None:
    _bronze(state)
    result = runner.invoke(app, ["compact", *args])
    assert result.exit_code == 2, result.output
    assert option in flat(result.output)


def test_a_target_size_setting_that_is_not_positive_is_refused(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_COMPACTION__TARGET_FILE_MB", "0")
    result = runner.invoke(app, ["compact"])
    assert result.exit_code == 2, result.output
    assert "EMPORIUM_COMPACTION__TARGET_FILE_MB" in result.stderr


def test_a_second_compaction_of_one_lake_is_refused(state: Path) -> None:
    _bronze(state)
    with steps.exclusive(Settings(state_dir=state), "compact"):
        result = runner.invoke(app, ["compact"])
    assert result.exit_code == 2, result.output
    assert "another `emporium compact` is running" in result.stderr


def test_help_names_the_options(state: Path) -> None:
    result = runner.invoke(app, ["compact", "--help"])
    assert result.exit_code == 0
    assert {"--dry-run", "--target-mb", "--min-age-days"} <= set(flat(result.output).split())


@pytest.mark.parametrize("days", ["99999999", str(10**30)])
def test_a_minimum_age_before_the_year_1_is_refused_before_spark_starts(
    state: Path, monkeypatch: pytest.MonkeyPatch, days: str
) -> None:
    """It reached the date arithmetic after Spark started: an OverflowError traceback."""
    _bronze(state)
    result = runner.invoke(app, ["compact", "--min-age-days", days])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: a minimum age of {days} days reaches back before the year 1 "
        "(--min-age-days or EMPORIUM_COMPACTION__MIN_AGE_DAYS)\n"
    )
    monkeypatch.setenv("EMPORIUM_COMPACTION__MIN_AGE_DAYS", days)
    result = runner.invoke(app, ["compact"])
    assert result.exit_code == 2, result.output
    assert "EMPORIUM_COMPACTION__MIN_AGE_DAYS" in result.stderr
