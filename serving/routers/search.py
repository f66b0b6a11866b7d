"""``GET /search`` and ``GET /search/suggest``.

Needs from the container (``request.app.state.container``): ``search`` (a ``SearchEngine``),
``cache`` (get/set/incr; results are cached there) and ``event_bus`` (every search publishes a
``search`` event on the clickstream topic).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from commerce.adapters.search.cached import CachedSearchEngine
from commerce.adapters.search.errors import InvalidSearchRequest, SearchError
from commerce.adapters.search.port import SearchEngine, parse_sort
from commerce.domain.search import SearchRequest, SearchResult, SortOrder
from pipelines.events import ID_MAX_LENGTH, Event
from serving.errors import ApiError

T = TypeVar("T")
log = logging.getLogger(__name__)
router = APIRouter(tags=["search"])
MAX_QUERY_CHARS = 1000  # longer input is cut; only the first words are searched anyway


class HitOut(BaseModel):
    product_id: str
    name: str
    price: float
    category: str
    brand: str
    in_stock: bool
    score: float
    description: str


class BucketOut(BaseModel):
    value: str
    count: int


class SearchPage(BaseModel):
    query: str
    total: int
    page: int
    size: int
    hits: list[HitOut]
    facets: dict[str, list[BucketOut]]
    request_id: str | None


class Suggestions(BaseModel):
    prefix: str
    suggestions: list[str]


def search_engine(request: Request) -> SearchEngine:
    """The container's engine behind the result cache (built once per app)."""
    state = request.app.state
    if not hasattr(state, "search_engine"):
        container = state.container
        state.search_engine = CachedSearchEngine(container.search, container.cache)
    engine: SearchEngine = state.search_engine
    return engine


Engine = Annotated[SearchEngine, Depends(search_engine)]


@router.get("/search", response_model=SearchPage)
def search(
    request: Request,
    engine: Engine,
    q: str = "",
    min_price: float | None = None,
    max_price: float | None = None,
    category: Annotated[list[str] | None, Query()] = None,
    brand: Annotated[list[str] | None, Query()] = None,
    sort: str | None = None,
    page: int = 1,
    size: int = 10,
) -> SearchPage:
    """Keyword search with price range, category/brand filters, sort, paging and facets.

    An empty ``q`` browses the catalog. Bad ranges, unknown sorts and pages past the deepest
    result are answered with 422 and a message naming the parameter.
    """
    text = q[:MAX_QUERY_CHARS]
    search_request = SearchRequest(
        text=text,
        min_price=min_price,
        max_price=max_price,
        categories=tuple(category or ()),
        brands=tuple(brand or ()),
        sort=_sort(sort),
        page=page,
        size=size,
    )
    result = _run(lambda: engine.search(search_request))
    request_id = getattr(request.state, "request_id", None)
    _publish(request, text, result, request_id)
    return _page(text, result, request_id)


@router.get("/search/suggest", response_model=Suggestions)
def suggest(engine: Engine, prefix: str = "", size: int = 5) -> Suggestions:
    """Product names completing what the shopper has typed."""
    if not 1 <= size <= 20:
        raise ApiError("invalid_search_request", "size must be 1..20", 422, {"field": "size"})
    names = _run(lambda: engine.suggest(prefix[:MAX_QUERY_CHARS], size))
    return Suggestions(prefix=prefix, suggestions=names)


def _sort(value: str | None) -> SortOrder:
    try:
        return parse_sort(value)
    except InvalidSearchRequest as e:
        raise ApiError(e.code, e.message, 422, e.details) from e


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except InvalidSearchRequest as e:
        raise ApiError(e.code, e.message, 422, e.details) from e
    except SearchError as e:
        raise ApiError(e.code, e.message, 503, e.details) from e


def _publish(request: Request, text: str, result: SearchResult, request_id: str | None) -> None:
    """Hand the search event to the app's background publisher: analytics must never fail,
    nor slow down, a shopper's search."""
    try:
        event = Event(
            type="search",
            request_id=request_id,
            session_id=_session_id(request),
            payload={
                "query": text,
                "result_count": result.total,
                "zero_result": result.total == 0,
                "page": result.page,
                "product_ids": result.ids,
            },
        )
    except ValueError:
        log.exception("search: no search event for request %s", request_id)
        return
    request.app.state.analytics.submit(event)


def _session_id(request: Request) -> str | None:
    """The ``X-Session-ID`` header, or None when absent or too long for an event to carry."""
    value = request.headers.get("x-session-id") or None
    return value if value is not None and len(value) <= ID_MAX_LENGTH else None


def _page(text: str, result: SearchResult, request_id: str | None) -> SearchPage:
    return SearchPage(
        query=text,
        total=result.total,
        page=result.page,
        size=result.size,
        hits=[HitOut(**vars(hit)) for hit in result.hits],
        facets={
            name: [BucketOut(value=b.value, count=b.count) for b in buckets]
            for name, buckets in result.facets.items()
        },
        request_id=request_id,
    )
