from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.datasets.online_retail import (
    build_catalog,
    clean_online_retail,
    load_online_retail,
)

COLUMNS = [
    "invoice",
    "sku",
    "description",
    "quantity",
    "ts",
    "unit_price",
    "customer_id",
    "country",
]


def _lines(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def test_cleaning_rule_keeps_only_real_sales_of_real_products() -> None:
    raw = _lines(
        [
            ("536365", "85123A", "HEART HOLDER", 6, "2011-01-01", 2.55, "17850", "UK"),
            ("536366", "85123a", "HEART HOLDER", 2, "2011-01-02", 2.55, "17850", "UK"),
            ("C536379", "85123A", "HEART HOLDER", -1, "2011-01-03", 2.55, "17850", "UK"),
            ("536367", "POST", "POSTAGE", 1, "2011-01-01", 18.0, "12583", "France"),
            (
                "536368",
                "gift_0001_20",
                "Dotcomgiftshop Gift Voucher",
                1,
                "2011-01-01",
                17.0,
                None,
                "UK",
            ),
            ("536369", "AMAZONFEE", "AMAZON FEE", 1, "2011-01-01", 13541.33, None, "UK"),
            ("536370", "22423", "CAKESTAND", 0, "2011-01-01", 12.75, "13047", "UK"),
            ("536371", "22424", "BROKEN", 5, "2011-01-01", 0.0, None, "UK"),
        ]
    )
    clean = clean_online_retail(raw)
    assert clean["invoice"].tolist() == ["536365", "536366"]
    assert set(clean["sku"]) == {"85123A"}


def test_catalog_uses_modal_name_median_price_and_minimum_stock() -> None:
    raw = _lines(
        [
            ("1", "A1", "RED MUG", 1, "2011-01-01", 1.0, "1", "UK"),
            ("2", "A1", "RED MUG", 1, "2011-01-02", 3.0, "1", "UK"),
            ("3", "A1", "MUG RED", 1, "2011-01-03", 2.0, "2", "UK"),
            ("4", "B2", None, 50, "2011-06-01", 5.0, "2", "UK"),
        ]
    )
    catalog = build_catalog(clean_online_retail(raw)).set_index("sku")
    assert catalog.loc["A1", "name"] == "RED MUG"
    assert catalog.loc["A1", "price"] == 2.0
    assert catalog.loc["B2", "name"] == "B2"  # no description at all: the code stands in
    assert catalog.loc["B2", "initial_stock"] == 50  # sold 50 in the last 90 days
    assert catalog.loc["A1", "initial_stock"] == 10  # nothing recent: the minimum


def test_real_file_cleaning_counts(data_dir: Path) -> None:
    raw = load_online_retail(data_dir)
    clean = clean_online_retail(raw)
    assert len(raw) == 541_909
    assert not clean["invoice"].str.startswith("C").any()
    assert (clean["quantity"] > 0).all() and (clean["unit_price"] > 0).all()
    assert not clean["sku"].isin(["POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE"]).any()
    assert clean["sku"].str.upper().eq(clean["sku"]).all()
    assert build_catalog(clean)["sku"].is_unique
