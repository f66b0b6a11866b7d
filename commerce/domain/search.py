"""Plain value objects of product search: what is indexed, what is asked, what comes back.

No engine appears here: the embedded index and the Elasticsearch-compatible engines all take a
``SearchRequest`` and return a ``SearchResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

# Deepest result an engine will page to (page * size); Elasticsearch's default window is
# 10,000, but nobody reads page 500 and deep paging is costly on every engine.
MAX_RESULT_WINDOW = 1000
MAX_PAGE_SIZE = 100
# A price filter above any price (and whose hundredths still fit in an integer).
MAX_PRICE_FILTER = 1e12
# Words of a query that are used; the rest of a pasted paragraph is ignored.
MAX_QUERY_TERMS = 32

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SortOrder(StrEnum):
    """Result orders offered to shoppers."""

    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    POPULARITY = "popularity"
    RATING = "rating"
    NEWEST = "newest"


class QueryProfile(StrEnum):
    """Which relevance query an engine runs: the shipped one, or plain BM25 on the name."""

    SHIPPED = "shipped"
    BM25 = "bm25"


@dataclass(frozen=True)
class ProductDoc:
    """One product as the search index sees it.

    ``price`` is in the shop's major currency unit; engines store it scaled to hundredths.
    ``popularity`` is any non-negative number (e.g. orders in the last 30 days), ``rating``
    0-5 and ``stock`` the units available (0 = out of stock).
    """

    product_id: str
    name: str
    description: str = ""
    category: str = ""
    brand: str = ""
    price: float = 0.0
    popularity: float = 0.0
    rating: float = 0.0
    stock: int = 0
    created_at: datetime = EPOCH

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class SearchRequest:
    """A shopper's search. ``page`` is 1-based; an empty ``text`` browses the catalog."""

    text: str = ""
    min_price: float | None = None
    max_price: float | None = None
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()  # restrict to these products (e.g. a wishlist)
    sort: SortOrder = SortOrder.RELEVANCE
    page: int = 1
    size: int = 10
    facets: bool = True
    profile: QueryProfile = QueryProfile.SHIPPED

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class SearchHit:
    product_id: str
    score: float
    name: str
    price: float
    category: str = ""
    brand: str = ""
    in_stock: bool = True
    description: str = ""


@dataclass(frozen=True)
class FacetBucket:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """One page of hits, the total number of matches, and facet counts over all matches."""

    total: int
    hits: tuple[SearchHit, ...]
    page: int
    size: int
    facets: dict[str, tuple[FacetBucket, ...]] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [hit.product_id for hit in self.hits]
