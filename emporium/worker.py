"""``emporium worker``: relays the commerce outbox to the event bus, applies the commerce
events to the search index, expires stock reservations, retries refunds the payment
provider left unanswered, deletes outbox rows published more than
``EMPORIUM_EVENTS__OUTBOX_KEEP_HOURS`` ago and, with ``EMPORIUM_EVENTS__LOG_KEEP_HOURS``, the
on-disk log's segments written longer ago than that. Run one or more; the jobs are safe to
run concurrently."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from emporium.settings import get_settings

if TYPE_CHECKING:
    from commerce.domain.payments import PaymentProvider
    from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
    from emporium.search_indexing import SearchIndexer

log = logging.getLogger(__name__)


def _expiry_loop(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    provider: PaymentProvider | None,
    stop: threading.Event,
    every_s: float,
    indexer: SearchIndexer | None = None,
    prune: Callable[[], object] | None = None,
    retention: Callable[[], object] | None = None,
) -> None:
    from commerce.service_layer.expiry import expire_due
    from commerce.service_layer.payment import reconcile_cancelled
    from commerce.service_layer.refunds import retry_refunds

    jobs: list[tuple[str, Callable[[], object]]] = [
        ("reservation expiry", lambda: expire_due(uow_factory, provider))
    ]
    if indexer is not None:  # catalog, price and stock changes reach search
        jobs.append(("search indexing", indexer.run_once))
    if prune is not None:
        jobs.append(("outbox pruning", prune))
    if retention is not None:
        jobs.append(("event log retention", retention))
    if provider is not None:
        jobs += [
            ("refund retry", lambda: retry_refunds(uow_factory, provider)),
            ("reconciling cancelled orders", lambda: reconcile_cancelled(uow_factory, provider)),
        ]
    while not stop.is_set():
        for name, job in jobs:  # each on its own: one failing must not starve the others
            try:
                job()
            except Exception:  # a worker must outlive database blips; it retries next round
                log.exception("%s pass failed", name)
        stop.wait(every_s)


def worker_command(
    expiry_interval: float = typer.Option(5.0, min=0.1, help="Seconds between expiry passes."),
) -> None:
    """Relay the outbox, keep search current, expire reservations, retry refunds.

    Runs until interrupted; also deletes outbox rows published over
    EMPORIUM_EVENTS__OUTBOX_KEEP_HOURS (168) ago and, when EMPORIUM_EVENTS__LOG_KEEP_HOURS is
    set, the on-disk event log's segments written longer ago than that. The payment
    provider is the API's (EMPORIUM_PAYMENTS__URL and __CA_FILE, from the environment or
    .env): without one, open payments are never reconciled."""
    # The worker's engines load here, not when the CLI starts.
    from commerce.adapters.db import make_engine, make_session_factory
    from commerce.adapters.outbox import SqlAlchemyOutboxSource
    from commerce.domain.events import utcnow
    from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
    from emporium.cli_db import migrate
    from emporium.engines import EngineUnavailable, build_payments, event_topics, redact
    from emporium.search_indexing import SearchIndexer
    from pipelines.events import Event
    from pipelines.events.errors import EventBusError
    from pipelines.events.factory import event_bus_from_url
    from pipelines.events.relay import run_relay

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    try:
        bus = event_bus_from_url(settings.events_url)
    except EventBusError as e:
        typer.echo(f"error: EMPORIUM_EVENTS__URL: {e}", err=True)
        raise typer.Exit(2) from e
    try:
        provider = build_payments(settings)
    except EngineUnavailable as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    if provider is None:
        log.warning("no EMPORIUM_PAYMENTS__URL: open payments will not be reconciled")
    migrate(settings)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    indexer = SearchIndexer(settings, sessions)
    source = SqlAlchemyOutboxSource(sessions, parse=Event.model_validate)
    keep = timedelta(hours=settings.events.outbox_keep_hours)
    expiry = threading.Thread(
        target=_expiry_loop,
        args=(lambda: SqlAlchemyUnitOfWork(sessions), provider, stop, expiry_interval, indexer,
              lambda: source.prune_published(utcnow() - keep),
              log_retention(bus, settings.events.log_keep_hours, settings.lake_path)),
        daemon=True,
    )  # fmt: skip
    expiry.start()
    typer.echo(f"worker: outbox of {redact(settings.database_url)} -> {settings.events_url}")
    total = run_relay(source, bus, stop, topics=event_topics(settings))
    expiry.join(timeout=expiry_interval + 5)
    if not expiry.is_alive():  # else a pass still uses them: the process exit closes them
        indexer.close()
    bus.close()
    engine.dispose()
    typer.echo(f"worker stopped; relayed {total} events")


def log_retention(
    bus: object, keep_hours: float | None, lake: Path, every_s: float = 60.0
) -> Callable[[], object] | None:
    """The on-disk log's retention pass, at most once per ``every_s``; None without a
    ``keep_hours`` or for another bus (Kafka keeps its own retention). Only segments the
    ``lake``'s ingest has read go: a stopped ingest holds retention back, not the lake's data."""
    import time

    from commerce.domain.events import utcnow
    from pipelines.events.disklog import DiskLogEventBus
    from pipelines.jobs.log_segments import ingested_segments

    if keep_hours is None or not isinstance(bus, DiskLogEventBus):
        return None
    keep, last = timedelta(hours=keep_hours), -every_s

    def run() -> dict[str, int]:
        nonlocal last
        if time.monotonic() - last < every_s:
            return {}
        last = time.monotonic()
        ingested = ingested_segments(lake)
        return bus.delete_written_before(utcnow() - keep, lambda p: p.resolve() in ingested)

    return run


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)
