"""REES46 multi-category store → views, carts, cart removals (with sessions, prices, brands,
categories), a catalog event per product at first sight, and purchases as historical orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from models.datasets.registry import get_dataset
from pipelines.events import CLICKSTREAM, Event
from pipelines.replay.common import (
    TopicEvent,
    event_id,
    order_placed,
    product_created,
    refuse_bad_rows,
)

DATASET = "rees46"
CLICK_TYPES = {
    "view": "product_view",
    "cart": "add_to_cart",
    "remove_from_cart": "remove_from_cart",
}


def load(data_dir: Path) -> pd.DataFrame:
    """All rows in time order, ids as text."""
    path = get_dataset(DATASET).path(Path(data_dir))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    refuse_bad_rows(raw, path, DATASET, ("product_id", "user_id"), ("user_session",), ("price",))
    raw["line"] = raw.index
    raw["ts"] = pd.to_datetime(raw["event_time"], utc=True, format="%Y-%m-%d %H:%M:%S UTC")
    raw["price"] = pd.to_numeric(raw["price"], errors="coerce")
    return raw.sort_values(["ts", "line"], kind="stable").reset_index(drop=True)


def events(data_dir: Path) -> Iterator[TopicEvent]:
    """Catalog, clickstream and order events in time order."""
    seen: set[str] = set()
    for row in load(data_dir).to_dict("records"):
        ts: datetime = row["ts"].to_pydatetime()
        if row["product_id"] not in seen:
            seen.add(row["product_id"])
            yield _product(row, ts)
        if row["event_type"] == "purchase":
            line = {"product_id": row["product_id"], "quantity": 1, "unit_price": row["price"]}
            yield order_placed(
                DATASET, f"rees46-{row['line']}", ts, row["user_id"], [line],
                session_id=row["user_session"],
            )  # fmt: skip
        elif row["event_type"] in CLICK_TYPES:
            yield TopicEvent(CLICKSTREAM, _click(row, ts))


def _details(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "price": None if pd.isna(row["price"]) else row["price"],
        "brand": row["brand"] or None,
        "category": row["category_code"] or None,
        "category_id": row["category_id"],
    }


def _product(row: dict[str, Any], ts: datetime) -> TopicEvent:
    details = _details(row)
    details["price"] = None if pd.isna(row["price"]) else f"{row['price']:.2f}"
    return product_created(DATASET, row["product_id"], ts, currency="USD", **details)


def _click(row: dict[str, Any], ts: datetime) -> Event:
    return Event(
        event_id=event_id(DATASET, f"line:{row['line']}"),
        type=CLICK_TYPES[row["event_type"]],
        ts=ts,
        user_id=row["user_id"],
        session_id=row["user_session"] or None,
        product_id=row["product_id"],
        payload={**_details(row), "source": DATASET},
    )
