"""A ``SearchEngine`` that hands every call to another one; wrappers override what they add."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from commerce.adapters.search.port import SearchEngine
from commerce.domain.search import ProductDoc, SearchRequest, SearchResult


class DelegatingEngine:
    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self.alias = engine.alias

    def create_index(self, index: str) -> None:
        self.engine.create_index(index)

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        return self.engine.bulk_index(docs, index)

    def update_fields(self, product_id: str, fields: Mapping[str, float | int]) -> bool:
        return self.engine.update_fields(product_id, fields)

    def delete(self, product_ids: Iterable[str]) -> int:
        return self.engine.delete(product_ids)

    def swap_alias(self, index: str) -> str | None:
        return self.engine.swap_alias(index)

    def current_index(self) -> str | None:
        return self.engine.current_index()

    def drop_index(self, index: str) -> None:
        self.engine.drop_index(index)

    def versions(self) -> list[str]:
        return self.engine.versions()

    def refresh(self) -> None:
        self.engine.refresh()

    def search(self, request: SearchRequest) -> SearchResult:
        return self.engine.search(request)

    def suggest(self, prefix: str, size: int = 5) -> list[str]:
        return self.engine.suggest(prefix, size)

    def health(self) -> dict[str, object]:
        return self.engine.health()

    def close(self) -> None:
        self.engine.close()
