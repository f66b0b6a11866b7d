"""The demo: every step that turns the data directory into a running shop, in order.

Each capability adds its step here; ``emporium demo`` runs them all, then serves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from commerce.adapters.db import make_engine, make_session_factory, upgrade
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium import steps
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


def _replay_events(settings: Settings) -> str:
    marker = settings.state_path / "demo" / "online-retail.replayed"
    if marker.exists():
        return "already in the event log"
    published = steps.replay(settings, "online-retail")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(published))
    return f"published {published}"


def _ingest(settings: Settings) -> str:
    steps.ingest(settings)
    return f"bronze lake at {settings.lake_path}"


def _batch(settings: Settings) -> str:
    return f"rows per table {steps.batch(settings)}"


def _train(settings: Settings) -> str:
    outcome = steps.train(settings)
    return f"registered {outcome}"


def _index_search(settings: Settings) -> str:
    report = steps.reindex(settings)
    return f"{report['documents']} products searchable in {report['index']}"


STEPS: list[tuple[str, Callable[[Settings], str]]] = [
    ("migrate the database", _migrate),
    ("load the Online Retail shop", _load_catalog),
    ("replay Online Retail into the event log", _replay_events),
    ("ingest events into the bronze lake (Spark)", _ingest),
    ("build silver and gold tables (Spark)", _batch),
    ("train a recommender on the gold interactions, gate it (MLflow)", _train),
    ("index the catalog for search", _index_search),
]


def prepare_demo(settings: Settings, echo: Echo = print) -> None:
    """Run every demo step against ``settings`` (embedded engines by default)."""
    settings.state_path.mkdir(parents=True, exist_ok=True)
    for title, step in STEPS:
        started = time.perf_counter()
        outcome = step(settings)
        echo(f"demo: {title}: {outcome} ({time.perf_counter() - started:.1f}s)")
