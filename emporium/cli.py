"""The ``emporium`` command line. Each command group lives in its own ``cli_*`` module."""

from __future__ import annotations

import typer

from emporium import (
    cli_bench,
    cli_catalog,
    cli_data,
    cli_db,
    cli_models,
    cli_pipeline,
    cli_serve,
    cli_services,
    cli_users,
    worker,
)

app = typer.Typer(
    help="emporium: recommendations, search and commerce for online shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cli_services.app, name="services")
app.add_typer(cli_data.app, name="data")
app.add_typer(cli_db.app, name="db")
app.add_typer(cli_catalog.app, name="catalog")
app.add_typer(cli_users.app, name="users")
app.add_typer(cli_models.app, name="models")
app.add_typer(cli_bench.app, name="bench")
cli_serve.register(app)
cli_pipeline.register(app)
worker.register(app)

if __name__ == "__main__":
    app()
