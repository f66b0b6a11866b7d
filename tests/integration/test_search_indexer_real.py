"""The worker's search job on the real engines: catalog changes made on PostgreSQL, relayed to
Kafka, reach OpenSearch without a full reindex.

The broker is shared by parallel test runs: each run relays to a commerce topic of its own (named
as a shop would, EMPORIUM_EVENTS__COMMERCE_TOPIC) and indexes as a consumer group of its own; a
fixed group made every run's consumers rebalance each other's away."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from db_support import fresh_database
from kafka_support import fresh_topics
from search_catalog import hits_behind

from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.service_layer import catalog
from emporium.engines import database_sessions, event_topics, unit_of_work_factory
from emporium.search_indexing import SearchIndexer, reindex_catalog
from emporium.settings import Settings
from pipelines.events import Event
from pipelines.events.factory import event_bus_from_url
from pipelines.events.relay import relay_once

pytestmark = [pytest.mark.postgres, pytest.mark.kafka, pytest.mark.search]


@pytest.fixture
def commerce_topic(kafka_url: str, unique: str) -> Iterator[str]:
    """A fresh commerce topic for this run (the broker creates none on first use)."""
    with fresh_topics(kafka_url, f"test-indexer-commerce-{unique}") as (name,):
        yield name


@pytest.fixture
def settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kafka_url: str,
    opensearch_url: str,
    commerce_topic: str,
) -> Iterator[Settings]:
    database = fresh_database(request, "postgres", tmp_path, prefix="test_indexer")
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", next(database))
    monkeypatch.setenv("EMPORIUM_EVENTS__URL", kafka_url)
    monkeypatch.setenv("EMPORIUM_EVENTS__COMMERCE_TOPIC", commerce_topic)
    monkeypatch.setenv("EMPORIUM_SEARCH__URL", opensearch_url)
    monkeypatch.setenv("EMPORIUM_SEARCH__INDEX_ALIAS", f"test-indexer-{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    yield Settings()
    next(database, None)  # drops the schema


def _product(sku: str, name: str, price: str) -> dict[str, object]:
    return {"sku": sku, "name": name, "description": "", "price": Decimal(price), "currency": "GBP"}


def _found(settings: Settings, text: str) -> dict[str, float]:
    return {hit.product_id: hit.price for hit in hits_behind(settings, text)}


def test_catalog_changes_reach_opensearch_through_kafka(settings: Settings, unique: str) -> None:
    mug, cup = "MUG-1", "CUP-2"  # the topic, index and database are this run's own
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), _product(mug, "Blue Enamel Mug", "5.00"))
    reindex_catalog(settings)
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), _product(cup, "Red Enamel Cup", "4.00"))
        catalog.update_product(uow(), cup, {"price": Decimal("3.50"), "name": "Red Tin Cup"})
        catalog.archive_product(uow(), mug)
    bus = event_bus_from_url(settings.events_url)
    try:
        with database_sessions(settings.database_url) as sessions:
            source = SqlAlchemyOutboxSource(sessions, parse=Event.model_validate)
            assert relay_once(source, bus, topics=event_topics(settings))  # as the worker does
            assert _found(settings, "enamel") == {mug: 5.0}  # not yet applied

            indexer = SearchIndexer(settings, sessions, group=f"search-indexer-{unique}")
            try:
                indexer.run_once()
            finally:
                indexer.close()
    finally:
        bus.close()
    assert _found(settings, "enamel") == {}
    assert _found(settings, "tin cup") == {cup: 3.5}
