"""What every replay shares: deterministic event ids and the order event's shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from models.datasets.errors import DatasetUnreadable
from pipelines.events import COMMERCE, Event
from pipelines.events.envelope import ID_MAX_LENGTH

# Replayed events get ids derived from the dataset row, so replaying twice yields the same
# event ids and silver's de-duplication collapses them.
REPLAY_NAMESPACE = uuid.UUID("6f1c1a52-3f0e-4b8e-9a57-3c1d9b1e0e11")
ORDER_PLACED = "OrderPlaced"
PRODUCT_CREATED = "ProductCreated"
WISHLIST = "add_to_wishlist"


class TopicEvent(NamedTuple):
    topic: str
    event: Event


def event_id(dataset: str, key: str) -> uuid.UUID:
    """A stable id for the event made from ``key`` of ``dataset``."""
    return uuid.uuid5(REPLAY_NAMESPACE, f"{dataset}:{key}")


def order_placed(
    dataset: str,
    order_id: str,
    ts: datetime,
    user_id: str | None,
    lines: list[dict[str, Any]],
    **extra: Any,
) -> TopicEvent:
    """A historical order as a commerce ``OrderPlaced``: ``lines`` of product, quantity, price."""
    total = sum(float(line["quantity"]) * float(line.get("unit_price") or 0.0) for line in lines)
    payload = {"order_id": order_id, "lines": lines, "total": round(total, 2), **extra}
    payload["source"] = dataset
    event = Event(
        event_id=event_id(dataset, f"order:{order_id}"),
        type=ORDER_PLACED,
        ts=ts,
        user_id=user_id,
        payload=payload,
    )
    return TopicEvent(COMMERCE, event)


def product_created(dataset: str, product_id: str, ts: datetime, **fields: Any) -> TopicEvent:
    """A catalog event for a product first seen at ``ts`` (commerce's ``ProductCreated`` shape)."""
    payload = {"sku": product_id, **{k: v for k, v in fields.items() if v is not None}}
    event = Event(
        event_id=event_id(dataset, f"product:{product_id}"),
        type=PRODUCT_CREATED,
        ts=ts,
        product_id=product_id,
        payload=payload,
    )
    return TopicEvent(COMMERCE, event)


def refuse_bad_rows(
    raw: pd.DataFrame,
    path: Path,
    dataset: str,
    ids: Iterable[str],
    optional_ids: Iterable[str] = (),
    numbers: Iterable[str] = (),
    header: bool = True,
) -> None:
    """Refuse the file, before anything is published, if a row cannot become an event.

    ``raw`` is the file as read, text columns, index = data row. An id must be non-empty and
    at most ``ID_MAX_LENGTH`` characters (an optional one may be empty); a number column may
    be empty but not other text.

    Raises
    ------
    models.datasets.errors.DatasetUnreadable
        Naming the file's first offending line and why.
    """
    problems: list[tuple[int, str]] = []
    required = set(ids)
    for col in [*required, *optional_ids]:
        length = raw[col].str.len()
        empty = (length == 0) if col in required else pd.Series(False, index=raw.index)
        for bad, why in (
            (empty, "is empty"),
            (length > ID_MAX_LENGTH, f"is longer than {ID_MAX_LENGTH} characters"),
        ):
            if bad.any():
                problems.append((int(raw.index[bad.to_numpy()][0]), f"{col} {why}"))
    for col in numbers:
        value = pd.to_numeric(raw[col], errors="coerce")
        bad = (raw[col] != "") & ~value.between(-1e15, 1e15)  # NaN or text fails too
        if bad.any():
            problems.append((int(raw.index[bad.to_numpy()][0]), f"{col} is not a number"))
    if problems:
        row, why = min(problems)
        raise DatasetUnreadable(path, dataset, f"line {row + 1 + header}: {why}")
