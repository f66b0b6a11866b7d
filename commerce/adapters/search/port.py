"""The ``SearchEngine`` port and the request checks every engine applies first."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from commerce.adapters.search.errors import InvalidSearchRequest
from commerce.domain.search import (
    MAX_PAGE_SIZE,
    MAX_PRICE_FILTER,
    MAX_RESULT_WINDOW,
    ProductDoc,
    SearchRequest,
    SearchResult,
    SortOrder,
)

# Fields a partial update may change without re-analysing text.
UPDATABLE_FIELDS = frozenset({"price", "stock", "popularity", "rating"})


class SearchEngine(Protocol):
    """Product search over versioned indices behind one alias.

    A full reindex calls ``create_index`` for a fresh version, ``bulk_index`` into it, then
    ``swap_alias``; queries always go through the alias, so they never see a half-built index.
    """

    alias: str

    def create_index(self, index: str) -> None:
        """Create (or replace) a concrete index with the product mapping."""
        ...

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        """Insert or replace documents (into ``index``, else behind the alias); returns count."""
        ...

    def update_fields(self, product_id: str, fields: Mapping[str, float | int]) -> bool:
        """Change price/stock/popularity/rating of one product; False if it is not indexed."""
        ...

    def delete(self, product_ids: Iterable[str]) -> int:
        """Remove products from the index behind the alias; returns how many were there."""
        ...

    def swap_alias(self, index: str) -> str | None:
        """Point the alias at ``index`` atomically and drop the old index; returns its name."""
        ...

    def current_index(self) -> str | None:
        """The concrete index the alias points at, or None before the first reindex."""
        ...

    def drop_index(self, index: str) -> None: ...

    def versions(self) -> list[str]:
        """Every concrete ``<alias>-v…`` index, built or half-built, behind the alias or not."""
        ...

    def refresh(self) -> None:
        """Make writes visible to searches (a no-op where writes are immediately visible)."""
        ...

    def search(self, request: SearchRequest) -> SearchResult:
        """Keyword search with filters, sort, paging and facets (see ``SearchRequest``)."""
        ...

    def suggest(self, prefix: str, size: int = 5) -> list[str]:
        """Product names completing what the shopper has typed so far."""
        ...

    def health(self) -> dict[str, object]:
        """``{"healthy": bool, ...}`` for status pages."""
        ...

    def close(self) -> None: ...


_STAMP = "%Y%m%dt%H%M%S%f"


def new_index_name(alias: str, now: datetime | None = None) -> str:
    """A versioned index name such as ``products-v20261126t081500123456``."""
    return f"{alias}-v{(now or datetime.now(UTC)).strftime(_STAMP)}"


def index_created(alias: str, index: str) -> datetime | None:
    """When ``new_index_name`` named ``index`` (UTC), or None for a name it did not make."""
    prefix = f"{alias}-v"
    if not index.startswith(prefix):
        return None
    try:
        return datetime.strptime(index[len(prefix) :], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def validate_request(request: SearchRequest) -> SearchRequest:
    """Raise ``InvalidSearchRequest`` (with the offending field) for a request no engine takes."""
    _check_price(request.min_price, "min_price")
    _check_price(request.max_price, "max_price")
    low, high = request.min_price, request.max_price
    if low is not None and high is not None and low > high:
        raise InvalidSearchRequest(
            f"min_price ({low}) is greater than max_price ({high})",
            {"field": "min_price", "min_price": low, "max_price": high},
        )
    if not isinstance(request.sort, SortOrder):
        raise InvalidSearchRequest(f"unknown sort {request.sort!r}", {"field": "sort"})
    if request.page < 1:
        raise InvalidSearchRequest("page starts at 1", {"field": "page"})
    if not 1 <= request.size <= MAX_PAGE_SIZE:
        raise InvalidSearchRequest(f"size must be 1..{MAX_PAGE_SIZE}", {"field": "size"})
    if request.page * request.size > MAX_RESULT_WINDOW:
        raise InvalidSearchRequest(
            f"page {request.page} of size {request.size} is past the deepest result "
            f"({MAX_RESULT_WINDOW}); narrow the search instead",
            {"field": "page", "max_result_window": MAX_RESULT_WINDOW},
        )
    return request


def parse_sort(value: str | None) -> SortOrder:
    """The ``SortOrder`` named by ``value`` (default relevance), else ``InvalidSearchRequest``."""
    if value is None or value == "":
        return SortOrder.RELEVANCE
    try:
        return SortOrder(value)
    except ValueError:
        allowed = ", ".join(order.value for order in SortOrder)
        raise InvalidSearchRequest(
            f"unknown sort {value!r}; use one of: {allowed}", {"field": "sort"}
        ) from None


def _check_price(value: float | None, name: str) -> None:
    if value is None:
        return
    if not math.isfinite(value) or not 0 <= value <= MAX_PRICE_FILTER:
        raise InvalidSearchRequest(
            f"{name} must be a number from 0 to {MAX_PRICE_FILTER:.0f}", {"field": name}
        )


def check_update(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidSearchRequest(f"cannot update {sorted(unknown)}", {"fields": sorted(unknown)})
