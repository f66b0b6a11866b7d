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
    assert "run `emporium ingest` first" in result.stderr


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
