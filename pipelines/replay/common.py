"""What every replay shares: deterministic event ids and the order event's shape."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from pipelines.events import COMMERCE, Event

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
