"""Search results cached in the cache engine (Redis in real mode, in-process LRU embedded).

Keys carry a generation number kept in the cache itself: a reindex or a price change bumps it,
so every cached page is invalidated at once, in every API process sharing the cache.
Stock changes are left to the short TTL: they are frequent and only nudge the ranking.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from commerce.adapters.search.port import SearchEngine
from commerce.adapters.search.wrapper import DelegatingEngine
from commerce.domain.search import FacetBucket, ProductDoc, SearchHit, SearchRequest, SearchResult

DEFAULT_TTL_S = 60.0


class Cache(Protocol):
    """The part of ``commerce.adapters.cache.Cache`` used here."""

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None: ...
    def incr(self, key: str, ttl_s: float | None = None) -> int: ...


def generation_key(alias: str) -> str:
    return f"search:{alias}:generation"


def invalidate(cache: Cache, alias: str) -> int:
    """Drop every cached result for ``alias`` (from any process sharing the cache)."""
    return cache.incr(generation_key(alias))


class CachedSearchEngine(DelegatingEngine):
    """A ``SearchEngine`` that answers repeated searches and suggestions from the cache."""

    def __init__(self, engine: SearchEngine, cache: Cache, ttl_s: float = DEFAULT_TTL_S) -> None:
        super().__init__(engine)
        self.cache = cache
        self.ttl_s = ttl_s

    def _key(self, kind: str, value: str) -> str:
        generation = self.cache.get(generation_key(self.alias)) or b"0"
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"search:{self.alias}:{generation.decode()}:{kind}:{digest}"

    def search(self, request: SearchRequest) -> SearchResult:
        key = self._key("q", repr(request))
        cached = self.cache.get(key)
        if cached is not None:
            return result_from_json(cached)
        result = self.engine.search(request)
        self.cache.set(key, result_to_json(result), self.ttl_s)
        return result

    def suggest(self, prefix: str, size: int = 5) -> list[str]:
        key = self._key("s", f"{size}:{prefix}")
        cached = self.cache.get(key)
        if cached is not None:
            names: list[str] = json.loads(cached)
            return names
        names = self.engine.suggest(prefix, size)
        self.cache.set(key, json.dumps(names).encode(), self.ttl_s)
        return names

    def swap_alias(self, index: str) -> str | None:
        old = self.engine.swap_alias(index)
        invalidate(self.cache, self.alias)
        return old

    def update_fields(self, product_id: str, fields: Mapping[str, float | int]) -> bool:
        found = self.engine.update_fields(product_id, fields)
        if "price" in fields:
            invalidate(self.cache, self.alias)
        return found

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        count = self.engine.bulk_index(docs, index)
        if index is None:  # a catalog change behind the alias, not a reindex in progress
            invalidate(self.cache, self.alias)
        return count

    def delete(self, product_ids: Iterable[str]) -> int:
        removed = self.engine.delete(product_ids)
        invalidate(self.cache, self.alias)
        return removed

    def health(self) -> dict[str, object]:
        return {**self.engine.health(), "cached": True}


def result_to_json(result: SearchResult) -> bytes:
    return json.dumps(dataclasses.asdict(result)).encode()


def result_from_json(raw: bytes) -> SearchResult:
    data: dict[str, Any] = json.loads(raw)
    return SearchResult(
        total=data["total"],
        hits=tuple(SearchHit(**hit) for hit in data["hits"]),
        page=data["page"],
        size=data["size"],
        facets={
            name: tuple(FacetBucket(**b) for b in buckets)
            for name, buckets in data["facets"].items()
        },
    )
