"""The demo: every step that turns the data directory into a running shop, in order.

Each capability adds its step here; ``emporium demo`` runs them all, then serves.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from commerce.adapters.db import make_engine, make_session_factory, upgrade
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.catalog_loader import load_online_retail_shop
from emporium.settings import Settings

Echo = Callable[[str], None]


def _migrate(settings: Settings) -> str:
    upgrade(settings.database_url)
    return "schema migrated"


def _load_catalog(settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        report = load_online_retail_shop(settings.data_dir, lambda: SqlAlchemyUnitOfWork(sessions))
    finally:
        engine.dispose()
    return f"Online Retail: {report}"


def _index_search(settings: Settings) -> str:
    from emporium.search_indexing import reindex_catalog

    report = reindex_catalog(settings)
    return f"{report.documents} products searchable in {report.index}"


STEPS: list[tuple[str, Callable[[Settings], str]]] = [
    ("migrate the database", _migrate),
    ("load the Online Retail shop", _load_catalog),
    ("index the catalog for search", _index_search),
]


def prepare_demo(settings: Settings, echo: Echo = print) -> None:
    """Run every demo step against ``settings`` (embedded engines by default)."""
    settings.state_path.mkdir(parents=True, exist_ok=True)
    for title, step in STEPS:
        started = time.perf_counter()
        outcome = step(settings)
        echo(f"demo: {title}: {outcome} ({time.perf_counter() - started:.1f}s)")
