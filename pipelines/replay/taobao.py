"""Taobao UserBehavior → clickstream views, carts, wishlist adds; ``buy`` → historical orders.

The file is a byte-truncated head: its last line is cut mid-row and is dropped. A row that
cannot become an event anywhere else refuses the whole file before anything is published.
Taobao has no prices, so replayed orders carry no unit price. It has no order id either: one
shopper's buys in the same second are one basket, replayed as one order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from models.datasets.errors import DatasetUnreadable
from models.datasets.registry import get_dataset
from pipelines.events import CLICKSTREAM, Event
from pipelines.replay.common import WISHLIST, TopicEvent, event_id, order_placed, refuse_bad_rows

DATASET = "taobao"
COLUMNS = ["user_id", "item_id", "category_id", "behavior", "timestamp"]
CLICK_TYPES = {"pv": "product_view", "cart": "add_to_cart", "fav": WISHLIST}


def load(data_dir: Path) -> pd.DataFrame:
    """Complete rows only, in time order (the file is sorted by user)."""
    path = get_dataset(DATASET).path(Path(data_dir))
    raw = pd.read_csv(path, header=None, names=COLUMNS, dtype=str, keep_default_na=False)
    timed = raw["timestamp"].str.fullmatch(r"\d+")
    if not timed.iloc[:-1].all():  # only the last line may be the cut one
        line = int(raw.index[~timed.to_numpy()][0]) + 1
        raise DatasetUnreadable(path, DATASET, f"line {line}: timestamp is not whole seconds")
    complete = raw[timed].copy()
    refuse_bad_rows(complete, path, DATASET, ("user_id", "item_id", "category_id"), header=False)
    complete["line"] = complete.index
    complete["ts"] = pd.to_datetime(complete["timestamp"].astype("int64"), unit="s", utc=True)
    return complete.sort_values(["ts", "line"], kind="stable").reset_index(drop=True)


def events(data_dir: Path) -> Iterator[TopicEvent]:
    """One event per behaviour row, or per basket of buys; ids derived from line numbers."""
    rows = load(data_dir)
    baskets = _baskets(rows)
    for row in rows.itertuples(index=False):
        ts: datetime = row.ts.to_pydatetime().astimezone(UTC)
        if row.behavior == "buy":
            lines = baskets.get(row.line)
            if lines is not None:  # the basket's first row places the order for all of it
                yield order_placed(DATASET, f"taobao-{row.line}", ts, row.user_id, lines)
        elif row.behavior in CLICK_TYPES:
            yield TopicEvent(CLICKSTREAM, _click(row, ts))


def _baskets(rows: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """Order lines by the line number of each basket's first buy.

    A checkout of several items writes one ``buy`` row per item, all with the checkout's
    second; as separate orders they inflated order counts and hid co-purchases from basket
    models. Buys of one user in different seconds stay separate orders.
    """
    buys = rows[rows["behavior"] == "buy"]
    baskets: dict[int, list[dict[str, Any]]] = {}
    for _, basket in buys.groupby(["user_id", "ts"], sort=False):
        quantities = basket.groupby("item_id", sort=False).size()
        baskets[int(basket["line"].min())] = [
            {"product_id": item, "quantity": int(n), "unit_price": None}
            for item, n in quantities.items()
        ]
    return baskets


def _click(row: object, ts: datetime) -> Event:
    return Event(
        event_id=event_id(DATASET, f"line:{row.line}"),  # type: ignore[attr-defined]
        type=CLICK_TYPES[row.behavior],  # type: ignore[attr-defined]
        ts=ts,
        user_id=row.user_id,  # type: ignore[attr-defined]
        product_id=row.item_id,  # type: ignore[attr-defined]
        payload={"category_id": row.category_id, "source": DATASET},  # type: ignore[attr-defined]
    )
