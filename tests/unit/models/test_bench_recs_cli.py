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
        ("user_id,item_id\nu1,i1\n", ["--cut", "2011-10-01"], "--cut is for --protocol"),
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


def test_a_cut_with_an_offset_is_read_in_utc(tmp_path: Path) -> None:
    # The data's times are naive UTC; 10:00+05:00 is 05:00 UTC, before u1's second event.
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,timestamp\nu1,i1,2011-03-10T04:00:00\nu2,i2,2011-03-10T04:00:00\n"
        "u1,i2,2011-03-10T06:00:00\n"
    )
    args = ["--protocol", "temporal", "--cut", "2011-03-10T10:00:00+05:00"]
    result = runner.invoke(app, ["bench", "recs", "--dataset", f"interactions:{path}", *args])
    assert "train 2 rows, test 1 rows" in flat(result.output)  # read as 10:00, test is empty


def test_data_the_ranker_cannot_learn_from_is_a_message_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"  # one item that everybody bought
    path.write_text("user_id,item_id\n" + "".join(f"u{k},i1\n" for k in range(40)))
    result = runner.invoke(app, ["bench", "recs", "--dataset", f"interactions:{path}"], env=WIDE)
    assert result.exit_code == 1, result.output
    assert "needs both kinds" in flat(result.output)
