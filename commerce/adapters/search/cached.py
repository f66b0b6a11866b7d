"""Search results cached in the cache engine (Redis in real mode, in-process LRU embedded).

Keys carry a generation number kept in the cache itself: a reindex or a price change bumps it,
so every cached page is invalidated at once, in every API process sharing the cache.
Stock changes are left to the short TTL: they are frequent and only nudge the ranking.
A cache that does not answer costs searches their speed-up, not their answers: they go to the
engine (writes still fail, so a reindex never leaves stale pages behind without saying so).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from commerce.adapters.cache import CacheError
from commerce.adapters.search.port import SearchEngine
from commerce.adapters.search.wrapper import DelegatingEngine
from commerce.domain.search import FacetBucket, ProductDoc, SearchHit, SearchRequest, SearchResult

DEFAULT_TTL_S = 60.0
log = logging.getLogger(__name__)
T = TypeVar("T")


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
        return self._through_cache(
            "q", repr(request), lambda: self.engine.search(request),
            result_to_json, result_from_json,
        )  # fmt: skip

    def suggest(self, prefix: str, size: int = 5) -> list[str]:
        names: list[str] = self._through_cache(
            "s", f"{size}:{prefix}", lambda: self.engine.suggest(prefix, size),
            lambda found: json.dumps(found).encode(), json.loads,
        )  # fmt: skip
        return names

    def _through_cache(
        self,
        kind: str,
        value: str,
        ask: Callable[[], T],
        dump: Callable[[T], bytes],
        load: Callable[[bytes], T],
    ) -> T:
        """The cached answer, or the engine's (then cached); the engine's alone when the
        cache does not answer."""
        try:
            key = self._key(kind, value)
            cached = self.cache.get(key)
        except CacheError as e:
            log.warning("search cache unavailable, asking the engine: %s", e)
            return ask()
        if cached is not None:
            return load(cached)
        answer = ask()
        try:
            self.cache.set(key, dump(answer), self.ttl_s)
        except CacheError as e:
            log.warning("search cache unavailable, answer not cached: %s", e)
        return answer

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
