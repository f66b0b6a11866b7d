"""Search indexing jobs: full reindex behind the alias, and incremental updates from events.

A full reindex builds a new versioned index, fills it, then swaps the alias in one step, so
searches never see a half-built index (zero downtime). Between reindexes, the commerce events
keep the index current: catalog changes re-read the product, price and stock changes patch
the indexed document.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from commerce.adapters.search.port import SearchEngine, index_created, new_index_name
from commerce.domain.products import Product
from commerce.domain.search import ProductDoc
from pipelines.events import COMMERCE, Event, EventBus

log = logging.getLogger(__name__)

#: A version this much older than the one just built, and not behind the alias, was abandoned.
ABANDONED_AFTER = timedelta(hours=1)

# Re-reads one product from the catalog of record (None when it no longer exists).
ProductLookup = Callable[[str], ProductDoc | None]
CONSUMER_GROUP = "search-indexer"
_STOCK_EVENTS = {"StockReceived", "StockAdjusted", "StockReserved", "StockChanged", "StockLow",
                 "StockReleased", "StockReturned"}  # fmt: skip


@dataclass(frozen=True)
class ReindexReport:
    index: str
    previous: str | None
    documents: int


def product_doc(
    product: Product, stock: int = 0, popularity: float = 0.0, rating: float = 0.0
) -> ProductDoc:
    """The search document of a catalog product; the category facet is its top-level path."""
    return ProductDoc(
        product_id=product.sku,
        name=product.name,
        description=product.description,
        category=product.category_path.strip("/").split("/")[0] if product.category_path else "",
        brand=product.brand or "",
        price=float(product.price),
        popularity=popularity,
        rating=rating,
        stock=stock,
        created_at=product.created_at,
    )


def full_reindex(engine: SearchEngine, docs: Iterable[ProductDoc]) -> ReindexReport:
    """Index ``docs`` into a new versioned index, then point the alias at it.

    The old index keeps answering until the swap; if indexing fails, the new index is
    dropped and the alias is untouched.
    """
    index = new_index_name(engine.alias)
    engine.create_index(index)
    try:
        count = engine.bulk_index(docs, index)
    except BaseException:
        engine.drop_index(index)
        raise
    previous = engine.swap_alias(index)
    log.info("search: %s now serves %s (%d documents)", engine.alias, index, count)
    _drop_abandoned(engine, index)
    return ReindexReport(index, previous, count)


def _drop_abandoned(engine: SearchEngine, serving: str) -> None:
    """Drop versions a killed reindex left half-built: older than ``serving`` by more than
    ABANDONED_AFTER, so a reindex still running beside this one keeps its index."""
    made = index_created(engine.alias, serving)
    if made is None:
        return
    for index in engine.versions():
        created = index_created(engine.alias, index)
        if index != serving and created is not None and created < made - ABANDONED_AFTER:
            log.warning("search: dropping %s, abandoned by an earlier reindex", index)
            engine.drop_index(index)


def apply_event(engine: SearchEngine, event: Event, lookup: ProductLookup | None = None) -> str:
    """Apply one commerce event to the index; returns what was done (for counting).

    An event whose fields cannot be read (a price that is not a number) is logged and
    returns ``"malformed"``: raised, it failed every pass and held up every event behind it.
    """
    problem = malformed_reason(event, lookup is None)
    if problem is not None:
        log.warning("search: skipping malformed %s %s: %s", event.type, event.event_id, problem)
        return "malformed"
    pid = event.product_id or _str(event.payload.get("sku"))
    if pid is None:
        return "ignored"
    kind, payload = event.type, event.payload
    if kind in ("ProductArchived", "ProductDeleted"):
        engine.delete([pid])
        return "deleted"
    if _is_price_change(kind, payload):
        fields = {"price": _finite(_new_price(payload))}
        return "price" if engine.update_fields(pid, fields) else "missing"
    if kind in _STOCK_EVENTS:
        available = _available(pid, payload, lookup)
        if available is None:
            return "ignored"
        return "stock" if engine.update_fields(pid, {"stock": available}) else "missing"
    if kind in ("ProductCreated", "ProductUpdated"):
        return _upsert(engine, pid, payload, lookup)
    return "ignored"


def malformed_reason(event: Event, from_payload: bool = False) -> str | None:
    """Why ``apply_event`` cannot read ``event``, or None when it can.

    Only the fields the event's type is applied from are checked. ``from_payload``: no
    catalog to ask, so a product upsert is indexed from the payload's name and price.
    """
    kind, payload = event.type, event.payload
    sku = payload.get("sku")
    if event.product_id is None and sku is not None and _str(sku) is None:
        return "sku is neither text nor an integer"
    if _is_price_change(kind, payload) and _number(_new_price(payload)) is None:
        return "price is missing or not a finite number"
    if kind in _STOCK_EVENTS and "available" in payload and _whole(payload["available"]) is None:
        return "available is not a whole number"
    if from_payload and kind in ("ProductCreated", "ProductUpdated") and "name" in payload:
        if not isinstance(payload["name"], str):
            return "name is not text"
        if _number(payload.get("price", 0)) is None:
            return "price is not a finite number"
    return None


def _is_price_change(kind: str, payload: dict[str, Any]) -> bool:
    return kind == "PriceChanged" or (
        kind == "ProductUpdated" and set(_changes(payload)) == {"price"}
    )


def _new_price(payload: dict[str, Any]) -> object:
    return payload["price"] if "price" in payload else _changes(payload).get("price")


def _upsert(
    engine: SearchEngine, pid: str, payload: dict[str, Any], lookup: ProductLookup | None
) -> str:
    if lookup is not None:
        doc = lookup(pid)
        if doc is None:  # the catalog of record no longer lists it (archived since, or gone)
            engine.delete([pid])
            return "unlisted"
    elif "name" in payload:  # no catalog to ask: index what the event says
        doc = ProductDoc(
            product_id=pid,
            name=payload["name"],
            category=str(payload.get("category_path", "")).strip("/").split("/")[0],
            price=_finite(payload.get("price", 0)),
        )
    else:
        return "missing"
    engine.bulk_index([doc])
    return "upserted"


def _available(pid: str, payload: dict[str, Any], lookup: ProductLookup | None) -> int | None:
    """The stock an event leaves available: in its payload, or (a released reservation, a
    return) read from the catalog of record; None when neither says."""
    if "available" in payload:
        return _whole(payload["available"])
    doc = lookup(pid) if lookup is not None else None
    return None if doc is None else doc.stock


def _changes(payload: dict[str, Any]) -> dict[str, Any]:
    changes = payload.get("changes")
    return changes if isinstance(changes, dict) else {}


def _str(value: object) -> str | None:
    # A JSON true is an int in Python, and no product is called "True".
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    """A finite JSON number or decimal text (commerce sends money as "2.55"), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:  # only text gets here: "a lot" is not a price
        return None
    return number if math.isfinite(number) else None


def _finite(value: object) -> float:
    number = _number(value)
    if number is None:  # malformed_reason lets no such event through: this is a bug
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _whole(value: object) -> int | None:
    """A whole JSON number or digits, else None: int() would make 2.5 units 2."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def apply_events(
    engine: SearchEngine, events: Iterable[Event], lookup: ProductLookup | None = None
) -> Counter[str]:
    """Apply events in order; returns how many of each action were taken.

    A malformed event is skipped and counted ``malformed`` (see ``apply_event``); any other
    error is a bug or an engine failure and is raised, so nothing is committed.
    """
    done: Counter[str] = Counter()
    for event in events:
        done[apply_event(engine, event, lookup)] += 1
    return done


def run_incremental(
    bus: EventBus,
    engine: SearchEngine,
    lookup: ProductLookup | None = None,
    group: str = CONSUMER_GROUP,
    max_events: int = 1000,
    topic: str = COMMERCE,
) -> Counter[str]:
    """Consume one batch of commerce events from ``topic`` (the commerce topic's name on the
    bus), apply them, commit (at-least-once; idempotent)."""
    consumed = list(bus.consume(topic, group, max_events=max_events))
    actions = apply_events(engine, (c.event for c in consumed), lookup)
    if consumed:
        engine.refresh()
        bus.commit(group, consumed)
    return actions
