"""``emporium bench search`` refuses a data directory without the CrowdFlower files clearly."""

from __future__ import annotations

from pathlib import Path

from cli_support import flat
from typer.testing import CliRunner

from emporium.cli import app


def test_missing_dataset_names_the_file_and_its_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["bench", "search", "--engines", "embedded", "--data-dir", str(tmp_path)],
        env={"COLUMNS": "400"},  # the error box would wrap the path
    )
    assert result.exit_code == 2
    text = flat(result.output)
    assert "crowdflower-search-relevance/1-test.csv not found" in text
    assert "kaggle.com/c/crowdflower-search-relevance" in text
    assert "Traceback" not in result.output
