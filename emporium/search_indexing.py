"""Wiring for search indexing: read the catalog of record, build the index behind the alias."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.search import search_engine_from_url
from commerce.domain.search import ProductDoc
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.settings import Settings
from emporium.wiring import database_sessions
from pipelines.indexing import ReindexReport, full_reindex, product_doc

_PAGE = 500


def catalog_documents(sessions: sessionmaker[Session]) -> Iterator[ProductDoc]:
    """Every active product with its available stock, page by page."""
    page = 1
    while True:
        with SqlAlchemyUnitOfWork(sessions) as uow:
            products, total = uow.products.list(page=page, size=_PAGE)
            ids = [p.id for p in products if p.id is not None]
            levels = uow.inventory.levels(ids) if ids else {}
        for product in products:
            level = levels.get(product.id) if product.id is not None else None
            yield product_doc(product, stock=level.available if level else 0)
        if page * _PAGE >= total or not products:
            return
        page += 1


def reindex_catalog(settings: Settings) -> ReindexReport:
    """Full reindex of the catalog into ``settings.search_url`` (zero-downtime alias swap)."""
    engine = search_engine_from_url(settings.search_url, alias=settings.search.index_alias)
    try:
        with database_sessions(settings.database_url) as sessions:
            return full_reindex(engine, catalog_documents(sessions))
    finally:
        engine.close()
