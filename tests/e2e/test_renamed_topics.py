"""Topics renamed in the settings (EMPORIUM_EVENTS__CLICKSTREAM_TOPIC, __COMMERCE_TOPIC): the
API, the worker's outbox relay and ``emporium replay`` publish under the new names, where ingest
and the worker's search indexer read. Before, only ingest and batch followed the settings, so
renaming a topic split the producers from the consumers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from search_catalog import hits_behind
from typer.testing import CliRunner
from worker_support import run_worker_until

from commerce.service_layer import catalog
from emporium.cli import app
from emporium.cli_db import migrate
from emporium.engines import database_sessions, unit_of_work_factory
from emporium.search_indexing import SearchIndexer, reindex_catalog
from emporium.settings import Settings
from emporium.steps import topic_names
from emporium.wiring import build_container
from pipelines.events import CLICKSTREAM, COMMERCE
from pipelines.events.factory import event_bus_from_url
from serving.app import create_app

CLICKS, ORDERS = "shop-clicks", "shop-orders"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL", "PAYMENTS__URL"):
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EMPORIUM_EVENTS__CLICKSTREAM_TOPIC", CLICKS)
    monkeypatch.setenv("EMPORIUM_EVENTS__COMMERCE_TOPIC", ORDERS)
    built = Settings()
    migrate(built)
    reindex_catalog(built)  # an empty index behind the alias, as after `emporium reindex`
    return built


def _types_by_topic(settings: Settings) -> dict[str, list[str]]:
    """The event types on each topic, built-in names included, read by a group of its own."""
    bus = event_bus_from_url(settings.events_url)
    try:
        return {
            topic: [c.event.type for c in bus.consume(topic, "audit", 100_000, timeout_s=0)]
            for topic in (*topic_names(settings), CLICKSTREAM, COMMERCE)
        }
    finally:
        bus.close()


def test_the_apis_client_and_search_events_reach_the_renamed_clickstream_topic(
    settings: Settings,
) -> None:
    container = build_container(settings)
    with TestClient(create_app(lambda: container)) as client:
        view = {"type": "product_view", "product_id": "85123A", "session_id": "s1"}
        assert client.post("/events", json={"events": [view]}).json()["accepted"] == 1
        assert client.get("/search", params={"q": "mug"}).status_code == 200
    # The app has stopped: its background publisher has sent the search event by now.
    assert _types_by_topic(settings) == {
        CLICKS: ["product_view", "search"], ORDERS: [], CLICKSTREAM: [], COMMERCE: []
    }  # fmt: skip


def _found(settings: Settings, text: str) -> dict[str, float]:
    return {hit.product_id: hit.price for hit in hits_behind(settings, text)}


def _run_worker_until_found(settings: Settings, text: str, log: Path) -> dict[str, float]:
    """``emporium worker`` until a search for ``text`` finds something or the deadline
    passes; what it finds."""
    run_worker_until(lambda: bool(_found(settings, text)), log)
    return _found(settings, text)


def test_the_workers_relay_and_search_indexer_meet_on_the_renamed_commerce_topic(
    settings: Settings, tmp_path: Path
) -> None:
    mug = {"sku": "MUG-1", "name": "Blue Enamel Mug", "description": "",
           "price": Decimal("5.00"), "currency": "GBP"}  # fmt: skip
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), mug)
    log = tmp_path / "worker.log"
    found = _run_worker_until_found(settings, "enamel", log)
    assert found == {"MUG-1": 5.0}, log.read_text()
    assert _types_by_topic(settings)[ORDERS] == ["ProductCreated"]  # where ingest reads them


TAOBAO = "1,2268318,2520377,pv,1511544070\n1,2268318,2520377,cart,1511544071\n" \
         "1,2268318,2520377,buy,1511544072\n"  # fmt: skip


def test_a_replay_publishes_under_the_renamed_topics_where_the_indexer_reads(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    (data / "taobao-userbehavior-head").mkdir(parents=True)
    (data / "taobao-userbehavior-head" / "UserBehavior.csv").write_text(TAOBAO)
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(data))
    result = CliRunner().invoke(app, ["replay", "taobao"])
    assert result.exit_code == 0, result.output
    assert _types_by_topic(settings) == {
        CLICKS: ["product_view", "add_to_cart"], ORDERS: ["OrderPlaced"], CLICKSTREAM: [],
        COMMERCE: [],
    }  # fmt: skip
    with database_sessions(settings.database_url) as sessions:
        indexer = SearchIndexer(settings, sessions)
        try:
            assert indexer.run_once() == {"ignored": 1}  # an order changes no document
        finally:
            indexer.close()
