"""``emporium serve`` and ``emporium demo``."""

from __future__ import annotations

import logging
import signal
import sys

import typer

from emporium.settings import Settings, get_settings


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn
    from uvicorn.logging import DefaultFormatter

    from emporium.catalog_embedding import embed_catalog_in_background
    from emporium.engines import EngineUnavailable
    from emporium.wiring import build_container
    from serving.app import create_app

    try:
        container = build_container(settings)
    except EngineUnavailable as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    # Our own INFO lines (which model version is served, the catalog embedded) look like
    # uvicorn's; other libraries stay at WARNING. Set up once the engines are built: a client
    # that logs each failed request with its traceback (opensearch-py) would otherwise bury
    # the one line that says which setting is wrong.
    handler = logging.StreamHandler()
    handler.setFormatter(
        DefaultFormatter("%(levelprefix)s %(name)s: %(message)s", use_colors=False)
    )
    logging.basicConfig(handlers=[handler])
    logging.getLogger("emporium").setLevel(logging.INFO)
    if embed_catalog_in_background(container):
        typer.echo("semantic search: embedding the catalog in the background")
    if container.champion is not None:
        container.champion.warm_up_in_background()
    app = create_app(lambda: container)
    uvicorn.run(
        app, host=host or settings.serve.host, port=port or settings.serve.port, log_level="info"
    )


def serve(
    host: str = typer.Option(None, help="Bind address (default EMPORIUM_SERVE__HOST)."),
    port: int = typer.Option(None, min=1, max=65535, help="Port (default EMPORIUM_SERVE__PORT)."),
) -> None:
    """Start the HTTP API with the current settings."""
    _serve(get_settings(), host, port)


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
