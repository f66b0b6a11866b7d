"""``emporium bench serve`` against a real ``emporium serve`` process on a small dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_support import WIDE
from typer.testing import CliRunner

from emporium.cli import app


@pytest.mark.timeout(300)
def test_bench_serve_measures_both_endpoints_at_each_level(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    rows = [(f"u{u}", f"i{(u + k) % 12}", 1000 * k + u) for u in range(30) for k in range(8)]
    pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).to_csv(events, index=False)
    out = tmp_path / "serve.json"
    result = CliRunner().invoke(
        app,
        ["bench", "serve", "--dataset", f"interactions:{events}", "--clients", "1,3",
         "--per-client", "4", "--json", str(out)],
        env=WIDE,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["endpoint"], r["clients"]) for r in rows] == [
        ("recommendations", 1), ("recommendations", 3), ("similar", 1), ("similar", 3)
    ]  # fmt: skip
    for row in rows:
        assert row["requests"] == 4 * row["clients"] and row["not_200"] == 0
        assert row["requests_per_s"] > 0 and 0 < row["p50_ms"] <= row["p99_ms"]
    assert "p99 ms" in result.output  # the table
    assert not list(tmp_path.glob("emporium-bench-serve-*"))  # the state was temporary
