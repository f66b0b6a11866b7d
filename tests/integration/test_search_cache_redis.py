"""Index writers in other processes (a reindex, the worker) reach the API's search cache on
real Redis: cached result pages are dropped when the index changes under them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commerce.adapters.cache import RedisCache
from commerce.adapters.search import search_engine_from_url
from commerce.adapters.search.cached import CachedSearchEngine
from commerce.domain.search import SearchRequest
from commerce.service_layer import catalog
from emporium.cli_db import migrate
from emporium.engines import unit_of_work_factory
from emporium.search_indexing import reindex_catalog
from emporium.settings import Settings

pytestmark = pytest.mark.redis


def test_a_reindex_drops_the_api_s_cached_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, unique: str
) -> None:
    for name in ("EMPORIUM_DATABASE__URL", "EMPORIUM_EVENTS__URL", "EMPORIUM_SEARCH__URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_CACHE__URL", redis_url)
    monkeypatch.setenv("EMPORIUM_SEARCH__INDEX_ALIAS", f"cache-{unique}".lower())
    settings = Settings()
    migrate(settings)
    product = {"sku": "MUG-1", "name": "Blue Enamel Mug", "description": "",
               "price": Decimal("5.00"), "currency": "GBP"}  # fmt: skip
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), product)
    reindex_catalog(settings)
    api = CachedSearchEngine(
        search_engine_from_url(settings.search_url, alias=settings.search.index_alias),
        RedisCache(redis_url),
    )  # what the API searches through
    try:
        assert api.search(SearchRequest("enamel")).ids == ["MUG-1"]  # now cached
        with unit_of_work_factory(settings.database_url) as uow:
            catalog.archive_product(uow(), "MUG-1")
        reindex_catalog(settings)  # e.g. `emporium reindex`, in another process
        assert api.search(SearchRequest("enamel")).ids == []  # not the cached page
    finally:
        api.close()
