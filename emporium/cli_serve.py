"""``emporium serve`` and ``emporium demo``."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from emporium.settings import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def _serve(settings: Settings, host: str | None, port: int | None, workers: int = 1) -> None:
    import uvicorn

    from emporium.engines import EngineUnavailable

    where = {
        "host": host or settings.serve.host,
        "port": port or settings.serve.port,
        "log_level": "info",
    }
    try:
        if workers > 1:
            check_for_workers(settings)
        app = prepared_app(settings, echo=typer.echo) if workers == 1 else None
    except (EngineUnavailable, WorkersRefused) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    if app is not None:
        uvicorn.run(app, **where)
    else:  # each worker process builds its own engines from the same settings
        uvicorn.run("emporium.asgi:create", factory=True, workers=workers, **where)


class WorkersRefused(Exception):
    """``--workers`` above 1 with settings that only work in one process."""


def check_for_workers(settings: Settings) -> None:
    """Before starting worker processes: every engine answers (checked once, here, so an
    error names its setting instead of each worker failing in turn), the cache is shared, and
    an embedded MLflow store exists.

    Raises
    ------
    WorkersRefused
        If the cache is in-process: it holds the login and registration limits, so each
        worker would allow the full number of attempts on its own.
    """
    from emporium.wiring import build_container

    if not settings.cache.url:
        raise WorkersRefused(
            "--workers above 1 needs a shared cache (EMPORIUM_CACHE__URL=redis://…): the "
            "in-process cache holds the login and registration limits, and each worker "
            "process would have its own"
        )
    build_container(settings).close()
    stores = {settings.mlflow_tracking_uri, settings.mlflow_registry_uri}
    if any(uri.startswith("sqlite:") for uri in stores):
        # A new SQLite store is created by its first client: by each worker at once, whose
        # migrations then collide ("expected to match one row"). Create it here, once.
        from emporium.champion import registry_client

        registry_client(settings).search_registered_models(max_results=1)


def prepared_app(settings: Settings, echo: Callable[[str], object] = print) -> FastAPI:
    """The API on engines built from ``settings`` now (an unusable one raises
    ``EngineUnavailable``), with the champion loading and the catalog embedding begun."""
    from emporium.catalog_embedding import embed_catalog_in_background
    from emporium.wiring import build_container
    from serving.app import create_app

    container = build_container(settings)
    _log_like_uvicorn()
    if embed_catalog_in_background(container):
        echo("semantic search: embedding the catalog in the background")
    if container.champion is not None:
        container.champion.warm_up_in_background()
    return create_app(lambda: container)


def _log_like_uvicorn() -> None:
    # Our own INFO lines (which model version is served, the catalog embedded) look like
    # uvicorn's; other libraries stay at WARNING. Set up once the engines are built: a client
    # that logs each failed request with its traceback (opensearch-py) would otherwise bury
    # the one line that says which setting is wrong.
    from uvicorn.logging import DefaultFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(
        DefaultFormatter("%(levelprefix)s %(name)s: %(message)s", use_colors=False)
    )
    logging.basicConfig(handlers=[handler])
    logging.getLogger("emporium").setLevel(logging.INFO)


def serve(
    host: str = typer.Option(None, help="Bind address (default EMPORIUM_SERVE__HOST)."),
    port: int = typer.Option(None, min=1, max=65535, help="Port (default EMPORIUM_SERVE__PORT)."),
    workers: int = typer.Option(
        1, min=1, max=64, help="API processes (above 1 needs EMPORIUM_CACHE__URL=redis://…)."
    ),
) -> None:
    """Start the HTTP API with the current settings."""
    _serve(get_settings(), host, port, workers)


def demo(
    host: str = typer.Option(None, help="Bind address."),
    port: int = typer.Option(None, min=1, max=65535, help="Port."),
    prepare_only: bool = typer.Option(False, "--prepare-only", help="Prepare, do not serve."),
) -> None:
    """Prepare the demo shop from the data directory, then serve it."""
    from emporium.demo import prepare_demo

    settings = get_settings()
    try:
        prepare_demo(settings, echo=typer.echo)
    except Exception as e:
        code = getattr(e, "code", None)
        if code is None:
            raise
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    if prepare_only:
        return
    from emporium.demo import start_companions, stop_all

    companions = start_companions(settings, echo=typer.echo)
    # uvicorn re-raises SIGTERM after its shutdown; exit normally instead so that the
    # sandbox and the worker are stopped with the API rather than left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _serve(settings, host, port)
    finally:
        stop_all(companions)


def register(app: typer.Typer) -> None:
    """Add the serving commands to the top-level app."""
    app.command("serve")(serve)
    app.command("demo")(demo)
