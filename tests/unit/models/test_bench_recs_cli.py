"""``emporium bench recs`` end to end on a small interaction file, and its bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import WIDE, flat, two_blocks
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


def test_every_model_and_the_ranker_are_reported_as_a_table_and_json(tmp_path: Path) -> None:
    data, out = two_blocks(tmp_path / "events.csv"), tmp_path / "out.json"
    result = runner.invoke(
        app, ["bench", "recs", "--dataset", f"interactions:{data}", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    models = [r["model"] for r in rows]
    assert models[-1] == "ranker"
    assert {"popularity", "ease", "als", "sequence"} <= set(models)
    for row in rows:
        assert {"ndcg@10", "map", "precision@10", "recall@10", "train_seconds"} <= set(row)
        assert all(0.0 <= row[m] <= 1.0 for m in ("ndcg@10", "map", "precision@10", "recall@10"))
    ranker = rows[-1]
    assert "sequence" not in ranker["extra"]["sources"]  # benchmarked, not a ranker source
    assert ranker["extra"]["anchor"] in ranker["extra"]["sources"]
    # Users only ever take items of their own block, so every personalised model beats popularity.
    ndcg = {r["model"]: r["ndcg@10"] for r in rows}
    assert min(ndcg[m] for m in ("ease", "als", "ranker")) > ndcg["popularity"] + 0.2
    assert "ranker sources:" in result.output and "chosen" in result.output


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "not found"),
        ("user_id,item_id\n", [], "has no interactions"),
        ("user,item\na,b\n", [], "lacks column"),
        ("user_id,item_id,timestamp\nu1,i1,1\nu2,i1,3\n", ["--protocol", "temporal"], "empty"),
        (  # train and test hold rows, the validation split of train does not
            "user_id,item_id,timestamp\nu1,i1,1\nu2,i2,2\nu1,i2,10\n",
            ["--protocol", "temporal", "--cut", "5"],
            "leaves the validation part empty",
        ),
        ("user_id,item_id,timestamp\nu1,i1,1\n", ["--protocol", "temporal", "--cut", "x"], "date"),
        ("user_id,item_id\nu1,i1\n", ["--protocol", "weekly"], "msr or temporal"),
    ],
)
def test_bad_input_is_a_message_and_exit_2(
    tmp_path: Path, content: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "events.csv"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(
        app, ["bench", "recs", "--dataset", f"interactions:{path}", *args], env=WIDE
    )
    assert result.exit_code == 2
    assert message in flat(result.output)
    assert "Traceback" not in result.output


def test_unknown_dataset_is_refused() -> None:
    result = runner.invoke(app, ["bench", "recs", "--dataset", "movielens-1b"], env=WIDE)
    assert result.exit_code == 2
    assert "unknown dataset" in result.output
