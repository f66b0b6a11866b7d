"""Indexing jobs and the result cache, on the in-memory embedded engine."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from search_catalog import catalog

from commerce.adapters.cache import InProcessCache
from commerce.adapters.search import SearchEngine, search_engine_from_url
from commerce.adapters.search.cached import CachedSearchEngine
from commerce.domain.products import Product
from commerce.domain.search import ProductDoc, SearchRequest
from pipelines.events import COMMERCE, Event
from pipelines.events.factory import event_bus_from_url
from pipelines.indexing import apply_events, full_reindex, product_doc, run_incremental


@pytest.fixture
def engine() -> Iterator[SearchEngine]:
    built = search_engine_from_url("embedded://:memory:", alias="products")
    full_reindex(built, catalog())
    yield built
    built.close()


def test_full_reindex_swaps_to_a_new_version_and_drops_the_old(engine: SearchEngine) -> None:
    first = engine.current_index()
    report = full_reindex(engine, catalog()[:3])
    assert report.previous == first and report.index != first and report.documents == 3
    assert engine.current_index() == report.index
    assert engine.search(SearchRequest()).total == 3


def test_a_failed_reindex_leaves_the_alias_alone(engine: SearchEngine) -> None:
    before = engine.current_index()

    def broken() -> Iterator[ProductDoc]:
        yield catalog()[0]
        raise RuntimeError("catalog read failed")

    with pytest.raises(RuntimeError):
        full_reindex(engine, broken())
    assert engine.current_index() == before
    assert engine.search(SearchRequest()).total == len(catalog())


def test_commerce_events_update_the_index(engine: SearchEngine) -> None:
    radio = {
        "sku": "new-1",
        "name": "Retro Radio",
        "price": "42.50",
        "currency": "GBP",
        "category_path": "Audio/Radios",
    }
    stock = {"quantity": 4, "available": 4, "reason": "count"}
    events = [
        Event(type="ProductUpdated", product_id="mouse-wl", payload={"changes": {"price": "350"}}),
        Event(type="StockAdjusted", product_id="hp-kids", payload=stock),
        Event(type="ProductCreated", product_id="new-1", payload=radio),
        Event(type="ProductArchived", product_id="tv-43", payload={"sku": "tv-43"}),
        Event(type="CartItemAdded", product_id="tv-55", payload={}),
    ]
    actions = apply_events(engine, events)
    assert actions == {"price": 1, "stock": 1, "upserted": 1, "deleted": 1, "ignored": 1}
    assert engine.search(SearchRequest(text="wireless mouse", max_price=400)).ids[0] == "mouse-wl"
    assert engine.search(SearchRequest(text="kids headphones")).hits[0].in_stock
    hit = engine.search(SearchRequest(text="radio")).hits[0]
    assert (hit.product_id, hit.price, hit.category) == ("new-1", 42.5, "Audio")
    assert "tv-43" not in engine.search(SearchRequest(text="television")).ids


def test_catalog_products_become_search_documents() -> None:
    product = Product(
        sku="85123A",
        name="White Hanging Heart",
        price=Decimal("2.55"),
        currency="GBP",
        category_path="Home/Decor",
    )
    doc = product_doc(product, stock=3, popularity=7)
    assert (doc.product_id, doc.category, doc.brand, doc.price, doc.in_stock) == (
        "85123A",
        "Home",
        "",
        2.55,
        True,
    )


def test_cache_answers_repeats_and_forgets_on_price_change_and_reindex(
    engine: SearchEngine,
) -> None:
    cache = InProcessCache()
    cached = CachedSearchEngine(engine, cache)
    request = SearchRequest(text="wireless mouse", max_price=1000)
    assert "mouse-wl" not in cached.search(request).ids
    engine.update_fields("mouse-wl", {"price": 999})  # behind the cache's back
    assert "mouse-wl" not in cached.search(request).ids  # still the cached page
    cached.update_fields("mouse-wl", {"price": 998})
    assert "mouse-wl" in cached.search(request).ids
    full_reindex(cached, catalog())  # price back to 1200
    assert "mouse-wl" not in cached.search(request).ids
    assert cached.suggest("gaming") == engine.suggest("gaming")


def test_incremental_job_consumes_the_commerce_topic_once(
    engine: SearchEngine, tmp_path: Path
) -> None:
    bus = event_bus_from_url(f"log://{tmp_path / 'events'}")
    change = {"changes": {"price": "350"}}
    bus.publish(COMMERCE, [Event(type="ProductUpdated", product_id="mouse-wl", payload=change)])
    assert run_incremental(bus, engine) == {"price": 1}
    assert run_incremental(bus, engine) == {}  # committed: nothing is applied twice
    assert engine.search(SearchRequest(text="wireless mouse", max_price=400)).ids[0] == "mouse-wl"
    bus.close()


def test_an_event_that_cannot_be_read_is_skipped_not_retried_for_ever(
    engine: SearchEngine, tmp_path: Path
) -> None:
    bus = event_bus_from_url(f"log://{tmp_path / 'events'}")
    bad = Event(type="PriceChanged", product_id="mouse-wl", payload={"price": "a lot"})
    good = Event(type="PriceChanged", product_id="mouse-wl", payload={"price": "350"})
    bus.publish(COMMERCE, [bad, good])
    assert run_incremental(bus, engine) == {"malformed": 1, "price": 1}
    assert run_incremental(bus, engine) == {}
    assert engine.search(SearchRequest(text="wireless mouse")).hits[0].price == 350.0
    bus.close()


MALFORMED = [
    (Event(type="PriceChanged", product_id="mouse-wl", payload={"price": "nan"}), "price"),
    (Event(type="PriceChanged", product_id="mouse-wl", payload={"price": True}), "price"),
    (Event(type="PriceChanged", product_id="mouse-wl", payload={}), "price is missing"),
    (Event(type="StockAdjusted", product_id="hp-kids", payload={"available": 2.5}), "available"),
    (Event(type="ProductArchived", payload={"sku": {"id": "tv-43"}}), "sku"),
    (Event(type="ProductCreated", product_id="n-1", payload={"name": ["x"]}), "name"),
]


@pytest.mark.parametrize(("event", "reason"), MALFORMED)
def test_a_malformed_event_is_skipped_logged_and_counted(
    engine: SearchEngine, event: Event, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = engine.search(SearchRequest()).hits
    assert apply_events(engine, [event]) == {"malformed": 1}
    assert engine.search(SearchRequest()).hits == before
    assert f"malformed {event.type} {event.event_id}: {reason}" in caplog.text


class FakeBrokenEngine:
    """An engine with a bug in one method: such an error is not the event's fault."""

    def __init__(self, engine: SearchEngine) -> None:
        self._engine = engine

    def update_fields(self, product_id: str, fields: dict[str, object]) -> bool:
        raise TypeError("unsupported operand type(s)")

    def __getattr__(self, name: str) -> object:
        return getattr(self._engine, name)


def test_an_error_that_is_not_the_events_is_raised(engine: SearchEngine) -> None:
    good = Event(type="PriceChanged", product_id="mouse-wl", payload={"price": "350"})
    with pytest.raises(TypeError, match="unsupported operand"):
        apply_events(FakeBrokenEngine(engine), [good])  # type: ignore[arg-type]


def test_concurrent_reindexes_leave_one_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two reindexes at once (the nightly DAG and an operator's `emporium reindex`): each must
    # drop the version the other put behind the alias, or a whole copy of the index is left.
    from commerce.adapters.search.embedded import EmbeddedSearchEngine

    read_alias = EmbeddedSearchEngine.current_index

    def slow_read(self: EmbeddedSearchEngine) -> str | None:
        found = read_alias(self)
        time.sleep(0.05)  # widens the gap between reading the alias and moving it
        return found

    monkeypatch.setattr(EmbeddedSearchEngine, "current_index", slow_read)
    url = f"embedded://{tmp_path / 'search.db'}"
    engines = [search_engine_from_url(url) for _ in range(2)]
    full_reindex(engines[0], catalog())
    threads = [threading.Thread(target=full_reindex, args=(e, catalog())) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert engines[0].versions() == [read_alias(engines[0])]
    for engine in engines:
        engine.close()
