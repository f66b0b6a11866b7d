"""Wiring for search indexing: read the catalog of record, build the index behind the alias."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.search import search_engine_from_url
from commerce.domain.products import Product
from commerce.domain.search import ProductDoc
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.settings import Settings
from emporium.wiring import database_sessions
from pipelines.indexing import ReindexReport, full_reindex, product_doc

_PAGE = 500
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

    def with_levels(uow: SqlAlchemyUnitOfWork, products: list[Product]) -> list[ProductDoc]:
        ids = [p.id for p in products if p.id is not None]
        levels = uow.inventory.levels(ids) if ids else {}
        return [
            product_doc(p, stock=levels[p.id].available if p.id in levels else 0) for p in products
        ]

    for docs in catalog_pages(sessions, with_levels):
        yield from docs


def reindex_catalog(settings: Settings) -> ReindexReport:
    """Full reindex of the catalog into ``settings.search_url`` (zero-downtime alias swap)."""
    engine = search_engine_from_url(settings.search_url, alias=settings.search.index_alias)
    try:
        with database_sessions(settings.database_url) as sessions:
            return full_reindex(engine, catalog_documents(sessions))
    finally:
        engine.close()
