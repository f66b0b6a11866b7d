"""The worker keeps search current: catalog changes reach the index without a full reindex."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from search_catalog import hits_behind

from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.service_layer import catalog
from emporium.cli_db import migrate
from emporium.engines import database_sessions, unit_of_work_factory
from emporium.search_indexing import SearchIndexer, reindex_catalog
from emporium.settings import Settings
from pipelines.events import Event
from pipelines.events.factory import event_bus_from_url
from pipelines.events.relay import relay_once


def _product(sku: str, name: str, price: str) -> dict[str, object]:
    return {"sku": sku, "name": name, "description": "", "price": Decimal(price), "currency": "GBP"}


def _relay(settings: Settings) -> None:
    """What the worker's relay does with the outbox."""
    bus = event_bus_from_url(settings.events_url)
    with database_sessions(settings.database_url) as sessions:
        relay_once(SqlAlchemyOutboxSource(sessions, parse=Event.model_validate), bus)
    bus.close()


def _found(settings: Settings, text: str) -> dict[str, float]:
    return {hit.product_id: hit.price for hit in hits_behind(settings, text)}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("EMPORIUM_DATABASE__URL", "EMPORIUM_EVENTS__URL", "EMPORIUM_SEARCH__URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    built = Settings()
    migrate(built)
    with unit_of_work_factory(built.database_url) as uow:
        catalog.create_product(uow(), _product("MUG-1", "Blue Enamel Mug", "5.00"))
    reindex_catalog(built)
    return built


def test_catalog_changes_reach_search_through_the_worker(settings: Settings) -> None:
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), _product("CUP-2", "Red Enamel Cup", "4.00"))
        catalog.update_product(uow(), "CUP-2", {"price": Decimal("3.50"), "name": "Red Tin Cup"})
        catalog.archive_product(uow(), "MUG-1")
    _relay(settings)
    with database_sessions(settings.database_url) as sessions:
        indexer = SearchIndexer(settings, sessions)
        try:
            assert indexer.run_once()["deleted"] == 1
            assert indexer.run_once() == {}  # everything applied once, and committed
        finally:
            indexer.close()
    assert _found(settings, "enamel") == {}
    assert _found(settings, "tin cup") == {"CUP-2": 3.5}


def test_a_pass_works_off_a_backlog_a_bounded_number_of_batches_at_a_time(
    settings: Settings,
) -> None:
    # A replayed history of orders sits on the same topic: one pass through all of it held up
    # the worker's reservation expiry and refund retries behind it.
    from pipelines.events import COMMERCE
    from pipelines.events.envelope import Event as Envelope

    bus = event_bus_from_url(settings.events_url)
    placed = [Envelope(type="OrderPlaced", payload={"order_id": f"o{k}"})
              for k in range(2500)]  # fmt: skip
    bus.publish(COMMERCE, placed)
    bus.close()
    with database_sessions(settings.database_url) as sessions:
        indexer = SearchIndexer(settings, sessions)
        try:
            assert indexer.run_once(max_batches=2) == {"ignored": 2000}
            assert indexer.run_once(max_batches=2) == {"ignored": 500}
        finally:
            indexer.close()


def test_a_failed_pass_is_applied_again_by_the_next(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.archive_product(uow(), "MUG-1")
    _relay(settings)
    with database_sessions(settings.database_url) as sessions:
        indexer = SearchIndexer(settings, sessions)
        try:
            with monkeypatch.context() as broken:
                broken.setattr(indexer.engine, "delete", _unavailable)
                with pytest.raises(RuntimeError):
                    indexer.run_once()
            assert indexer.run_once()["deleted"] == 1
        finally:
            indexer.close()
    assert _found(settings, "enamel") == {}


def test_a_released_reservation_puts_the_product_back_in_search(settings: Settings) -> None:
    # StockReleased carries no "available" count: it was ignored, so a product whose last unit
    # an abandoned checkout held was shown out of stock (and ranked lower) until a reindex.
    from datetime import UTC, datetime, timedelta

    from commerce.service_layer import inventory

    with unit_of_work_factory(settings.database_url) as uow:
        inventory.receive_stock(uow(), "MUG-1", 1)
        reindex_catalog(settings)
        with uow() as work:
            mug = work.products.get("MUG-1")
            assert mug is not None
            expires = datetime.now(UTC) + timedelta(minutes=15)
            inventory.reserve(work, "order-1", [(mug, 1)], expires)
            work.commit()
        _relay_and_index(settings)
        assert _in_stock(settings, "enamel") == {"MUG-1": False}  # its one unit is held
        with uow() as work:
            assert inventory.release(work, "order-1", "expired") == 1
            work.commit()
    _relay_and_index(settings)
    assert _in_stock(settings, "enamel") == {"MUG-1": True}


def _in_stock(settings: Settings, text: str) -> dict[str, bool]:
    return {hit.product_id: hit.in_stock for hit in hits_behind(settings, text)}


def test_a_product_changed_while_the_catalog_is_read_is_not_left_stale(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its page was already read, and the worker applied its event to the old index: at the
    # swap the new index served the old price and the archived product until they changed again.
    import emporium.search_indexing as indexing

    read_catalog = indexing.catalog_documents

    def changed_while_read(sessions):  # type: ignore[no-untyped-def]
        yield from read_catalog(sessions)
        with unit_of_work_factory(settings.database_url) as uow:
            catalog.update_product(uow(), "CUP-2", {"price": Decimal("3.50")})
            catalog.archive_product(uow(), "MUG-1")

    monkeypatch.setattr(indexing, "catalog_documents", changed_while_read)
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), _product("CUP-2", "Red Enamel Cup", "4.00"))
    reindex_catalog(settings)
    assert _found(settings, "enamel") == {"CUP-2": 3.5}


def test_the_catch_up_reads_the_changed_products_a_page_at_a_time(settings: Settings) -> None:
    # Every product written since the reindex began (a minute before, for clock skew) is read
    # again: one product per read made a catalog import during a reindex cost three statements
    # a product, thousands of round trips after the swap.
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    with unit_of_work_factory(settings.database_url) as uow:
        for k in range(40):
            catalog.create_product(uow(), _product(f"JUG-{k}", f"Enamel Jug {k}", "7.00"))
        catalog.archive_product(uow(), "JUG-0")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        reindex_catalog(settings)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) < 20
    found = _found(settings, "jug")
    assert "JUG-0" not in found
    assert len(found) == 10  # a page of hits, all listed products


def _relay_and_index(settings: Settings) -> None:
    _relay(settings)
    with database_sessions(settings.database_url) as sessions:
        indexer = SearchIndexer(settings, sessions)
        try:
            indexer.run_once()
        finally:
            indexer.close()


def _unavailable(*_: object) -> int:
    raise RuntimeError("search engine down")
