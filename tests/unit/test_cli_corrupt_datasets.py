"""A dataset file that is there but truncated or altered is a message naming the file and
exit 2, not a parser's traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from cli_support import WIDE, flat
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args), env=WIDE)
    return result, flat(result.output)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def put(data_dir: Path, relative: str, content: bytes) -> Path:
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_truncated_parquet_online_retail(data_dir: Path) -> None:
    put(data_dir, "uci-online-retail/online_retail.parquet", b"PAR1\x00\x00truncated")
    result, text = run("bench", "recs", "--dataset", "online-retail")
    assert result.exit_code == 2, result.output
    assert "online_retail.parquet cannot be read as the 'online-retail' dataset" in text


def test_an_online_retail_file_with_other_columns(data_dir: Path) -> None:
    path = data_dir / "uci-online-retail" / "online_retail.parquet"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"a": [1], "b": ["x"]}).to_parquet(path)
    result, text = run("bench", "recs", "--dataset", "online-retail", "--protocol", "temporal")
    assert result.exit_code == 2, result.output
    assert "no column(s) country, customer_id" in text


def test_movielens_with_wrong_columns(data_dir: Path) -> None:
    for name in ("u.data", "u.item", "u.user"):
        put(data_dir, f"movielens-100k/{name}", b"a,b,c\n1,2,3\n")
    result, text = run("bench", "recs", "--dataset", "movielens-100k")
    assert result.exit_code == 2, result.output
    assert "cannot be read as the 'movielens-100k' dataset" in text


def test_crowdflower_with_wrong_columns(data_dir: Path) -> None:
    for i in range(1, 11):
        put(data_dir, f"crowdflower-search-relevance/{i}-test.csv", b"a,b\n1,2\n")
    result, text = run("bench", "search", "--engines", "embedded", "--no-semantic")
    assert result.exit_code == 2, result.output
    assert "1-test.csv cannot be read as the 'crowdflower' dataset (no column(s) id" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "cannot be read: No columns to parse"),
        ("cut.parquet", b"PAR1\x00\x00", "cut.parquet cannot be read"),
        ("when.csv", b"user_id,item_id,timestamp\nu,i,not-a-date\n", "neither numbers nor dates"),
    ],
)
def test_an_unreadable_interaction_file(
    tmp_path: Path, data_dir: Path, name: str, content: bytes, message: str
) -> None:
    path = put(tmp_path, name, content)
    result, text = run("bench", "recs", "--dataset", f"interactions:{path}")
    assert result.exit_code == 2, result.output
    assert message in text


def test_a_directory_given_as_the_interaction_file(tmp_path: Path, data_dir: Path) -> None:
    result, text = run("bench", "recs", "--dataset", f"interactions:{tmp_path}")
    assert result.exit_code == 2, result.output
    assert "is a directory" in text


def test_a_catalog_with_a_value_the_shop_cannot_take_writes_nothing(data_dir: Path) -> None:
    """A quantity of 2**62 made an initial stock past the limit: a traceback, with products
    and customers already committed and only some stocked."""
    path = data_dir / "uci-online-retail" / "online_retail.parquet"
    path.parent.mkdir(parents=True)
    base = {"InvoiceNo": "536365", "Description": "MUG", "InvoiceDate": "2010-12-01 08:26:00",
            "UnitPrice": 2.5, "CustomerID": 17850.0, "Country": "United Kingdom"}  # fmt: skip
    pd.DataFrame([
        {**base, "StockCode": "10001", "Quantity": 3},
        {**base, "StockCode": "10002", "Quantity": 2**62},
    ]).to_parquet(path)  # fmt: skip
    result, text = run("catalog", "load", "online-retail")
    assert result.exit_code == 1, result.output
    assert "online-retail has a row the shop cannot load: quantity out of range" in text
    with sqlite3.connect(data_dir.parent / "state" / "emporium.db") as db:
        assert db.execute("SELECT COUNT(*) FROM products").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)


def test_an_order_line_the_order_tables_cannot_hold_writes_nothing(data_dir: Path) -> None:
    """A line quantity of 1e20 (its product's initial stock within range) was an
    OverflowError traceback with products, customers and stock already committed."""
    path = data_dir / "uci-online-retail" / "online_retail.parquet"
    path.parent.mkdir(parents=True)
    base = {"StockCode": "10001", "Description": "MUG", "InvoiceDate": "2010-12-01 08:26:00",
            "UnitPrice": 2.5, "CustomerID": 17850.0, "Country": "United Kingdom"}  # fmt: skip
    rows = [{**base, "InvoiceNo": str(536365 + k), "Quantity": 3.0} for k in range(5)]
    rows.append({**base, "InvoiceNo": "536999", "Quantity": 1e20})
    pd.DataFrame(rows).to_parquet(path)
    result, text = run("catalog", "load", "online-retail")
    assert result.exit_code == 1, result.output
    assert "invoice 536999: quantity" in text and "Traceback" not in result.output
    with sqlite3.connect(data_dir.parent / "state" / "emporium.db") as db:
        for table in ("products", "users", "stock_levels", "orders"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)
