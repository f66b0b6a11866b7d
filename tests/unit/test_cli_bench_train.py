"""`emporium bench train` end to end on a tiny interaction file: both engines timed, the JSON
the issue names written, and whether Spark had a native BLAS said (it changes the ratio)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import WIDE, two_blocks
from typer.testing import CliRunner

from emporium.cli import app
from emporium.services.spark import native_blas

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_bench_train_times_both_engines_and_says_whether_spark_had_native_blas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_SPARK__DRIVER_MEMORY", "1g")
    dataset = f"interactions:{two_blocks(tmp_path / 'events.csv')}"
    out = tmp_path / "train.json"
    args = ["bench", "train", "--dataset", dataset, "--factors", "4", "--iterations", "3"]
    result = CliRunner().invoke(app, [*args, "--master", "local[1]", "--json", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    # On so few rows the marginal figure (a difference of two runs) may round to 0; the
    # totals are always there.
    assert report["implicit_total_s_per_iter"] > 0 and report["spark_total_s_per_iter"] > 0
    if report["implicit_s_per_iter"] > 0:
        ratio = report["spark_s_per_iter"] / report["implicit_s_per_iter"]
        assert report["ratio"] == pytest.approx(ratio)
    assert report["spark_native_blas"] is native_blas()
    assert ("without a native BLAS" in result.output) is not native_blas()
