"""Wiring for search indexing: read the catalog of record, build the index behind the alias."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.cache import cache_from_url
from commerce.adapters.search import SearchEngine, search_engine_from_url
from commerce.adapters.search.cached import CachedSearchEngine
from commerce.domain.events import utcnow
from commerce.domain.products import ACTIVE, Product
from commerce.domain.search import ProductDoc
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.engines import database_sessions
from emporium.settings import Settings
from pipelines.events import EventBus
from pipelines.events.factory import event_bus_from_url
from pipelines.indexing import (
    CONSUMER_GROUP,
    ProductLookup,
    ReindexReport,
    full_reindex,
    product_doc,
    run_incremental,
)

_PAGE = 500
# How far the clocks of the processes writing the catalog may be behind this one's.
CLOCK_SKEW = timedelta(minutes=1)
T = TypeVar("T")


def catalog_pages(
    sessions: sessionmaker[Session],
    read: Callable[[SqlAlchemyUnitOfWork, list[Product]], T],
    include_archived: bool = False,
) -> Iterator[T]:
    """``read(uow, products)`` for each page of the catalog in id order, each page in its own
    unit of work (closed before the page's result is handed on)."""
    page = 1
    while True:
        with SqlAlchemyUnitOfWork(sessions) as uow:
            products, total = uow.products.list(
                page=page, size=_PAGE, include_archived=include_archived
            )
            result = read(uow, products)
        yield result
        if page * _PAGE >= total or not products:
            return
        page += 1


def catalog_documents(sessions: sessionmaker[Session]) -> Iterator[ProductDoc]:
    """Every active product with its available stock, page by page."""

    for docs in catalog_pages(sessions, _with_levels):
        yield from docs


def _with_levels(uow: SqlAlchemyUnitOfWork, products: list[Product]) -> list[ProductDoc]:
    """The search documents of ``products`` with their available stock, in one read."""
    ids = [p.id for p in products if p.id is not None]
    levels = uow.inventory.levels(ids) if ids else {}
    return [product_doc(p, stock=levels[p.id].available if p.id in levels else 0) for p in products]


def indexing_engine(settings: Settings) -> SearchEngine:
    """The search engine for writers of the index (a reindex, the worker). Behind a shared
    result cache (Redis) its writes bump the cache's generation, so the API processes stop
    answering from pages cached before them; an in-process cache is the API's own, beyond
    reach, and its pages expire within their 60 s."""
    engine = search_engine_from_url(settings.search_url, alias=settings.search.index_alias)
    if settings.cache_url.startswith("memory://"):
        return engine
    return CachedSearchEngine(engine, cache_from_url(settings.cache_url))


def reindex_catalog(settings: Settings) -> ReindexReport:
    """Full reindex of the catalog into ``settings.search_url`` (zero-downtime alias swap).

    A product changed while the catalog was being read (its page already read, its event
    applied to the old index) would keep its old document in the new index until it changed
    again: after the swap, every product written since the reindex began is read again.
    """
    engine = indexing_engine(settings)
    began = utcnow() - CLOCK_SKEW
    try:
        with database_sessions(settings.database_url) as sessions:
            report = full_reindex(engine, catalog_documents(sessions))
            _catch_up(engine, sessions, began)
            return report
    finally:
        engine.close()


def _catch_up(engine: SearchEngine, sessions: sessionmaker[Session], since: datetime) -> None:
    """Read again, a page of SKUs per read (not a product at a time: a catalog import or a
    busy shop during a long reindex changes thousands), the products written since ``since``."""
    with SqlAlchemyUnitOfWork(sessions) as uow:
        changed = uow.products.changed_since(since)
    for start in range(0, len(changed), _PAGE):
        skus = changed[start : start + _PAGE]
        with SqlAlchemyUnitOfWork(sessions) as uow:
            docs = _listed_documents(uow, skus)
        engine.bulk_index(docs.values())
        gone = [sku for sku in skus if sku not in docs]
        if gone:
            engine.delete(gone)


def _listed_documents(uow: SqlAlchemyUnitOfWork, skus: list[str]) -> dict[str, ProductDoc]:
    """SKU -> search document of those of ``skus`` the catalog lists (active), with stock."""
    found = uow.products.get_many(skus).values()
    docs = _with_levels(uow, [p for p in found if p.status == ACTIVE and p.id is not None])
    return {doc.product_id: doc for doc in docs}


def catalog_lookup(sessions: sessionmaker[Session]) -> ProductLookup:
    """Re-reads one product for the incremental indexer: its search document with its
    available stock, or None when the catalog does not list it (archived or unknown)."""

    def lookup(sku: str) -> ProductDoc | None:
        with SqlAlchemyUnitOfWork(sessions) as uow:
            return _listed_documents(uow, [sku]).get(sku)

    return lookup


class SearchIndexer:
    """The worker's search job: applies to the index the commerce events it has not applied.

    Catalog changes reach search seconds after they are relayed, not at the next full
    reindex. A failed pass commits nothing and drops its consumer: the bus keeps a
    consumer's position in memory, so the next pass reads the same events again.
    """

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], group: str = CONSUMER_GROUP
    ) -> None:
        self.settings, self.group = settings, group
        self.engine = indexing_engine(settings)
        self.lookup = catalog_lookup(sessions)
        self._bus: EventBus | None = None

    def run_once(self, max_batches: int = 20) -> Counter[str]:
        """Apply the pending commerce events, up to ``max_batches`` batches of 1,000 (the
        worker's other jobs wait for this pass; a backlog, such as a replayed history of
        orders at first start, is worked off over several passes). Returns the actions."""
        if self._bus is None:
            self._bus = event_bus_from_url(self.settings.events_url)
        done: Counter[str] = Counter()
        try:
            for _ in range(max_batches):
                batch = run_incremental(self._bus, self.engine, self.lookup, group=self.group,
                                        topic=self.settings.events.commerce_topic)  # fmt: skip
                if not batch:
                    break
                done += batch
        except BaseException:
            self._bus.close()
            self._bus = None
            raise
        return done

    def close(self) -> None:
        if self._bus is not None:
            self._bus.close()
        self.engine.close()
