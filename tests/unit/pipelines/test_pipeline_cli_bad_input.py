"""``emporium ingest`` and ``emporium batch`` refuse what cannot work before Spark starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import flat
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("EMPORIUM_EVENTS__URL", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_SPARK__MASTER", "spark://127.0.0.1:1")  # never reached
    return tmp_path / "state"


def test_batch_without_bronze_says_to_ingest_first(state: Path) -> None:
    result = runner.invoke(app, ["batch"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: no bronze events at ")
    assert "run `emporium replay` and `emporium ingest` first" in result.stderr


def test_batch_over_a_bronze_with_no_events_says_so(state: Path) -> None:
    """An ingest of an empty bus leaves only the sink's metadata log: Spark then failed with
    a traceback (it cannot infer a schema from no files)."""
    (state / "lake" / "bronze" / "events" / "_spark_metadata").mkdir(parents=True)
    result = runner.invoke(app, ["batch"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: no bronze events at ")


def test_a_second_batch_on_one_state_dir_is_refused(state: Path) -> None:
    from emporium import steps
    from emporium.settings import Settings

    settings = Settings(state_dir=state)
    with steps.exclusive(settings, "batch"):
        refused = pytest.raises(steps.StepError, match="another `emporium batch` is running")
        with refused, steps.exclusive(settings, "batch"):
            pass
        with steps.exclusive(settings, "ingest"):  # another job is fine
            pass
    with steps.exclusive(settings, "batch"):  # released with the first
        pass


def test_a_driver_memory_the_jvm_cannot_read_is_a_message(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It reached the JVM, which refused it, and PySpark's traceback followed."""
    monkeypatch.setenv("EMPORIUM_SPARK__DRIVER_MEMORY", "lots")
    bronze = state / "lake" / "bronze" / "events" / "date=2011-01-01"
    bronze.mkdir(parents=True)
    (bronze / "part-0.parquet").write_bytes(b"")
    result = runner.invoke(app, ["batch"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "EMPORIUM_SPARK__DRIVER_MEMORY" in result.output, result.output


def test_ingest_from_an_unknown_bus_url_is_a_message(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_EVENTS__URL", "garbage://x")
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 2, result.output
    assert "unsupported EMPORIUM_EVENTS__URL 'garbage://x'" in result.stderr


@pytest.mark.parametrize(
    "interval", ["nope", "5", "0 seconds", "-1 minute", "5 fortnights", "1.5 minutes"]
)
def test_ingest_refuses_an_interval_spark_cannot_read(state: Path, interval: str) -> None:
    result = runner.invoke(app, ["ingest", "--follow", "--interval", interval])
    assert result.exit_code == 2, result.output
    assert "a positive number and a unit" in flat(result.stderr)
