"""The ``emporium`` command line. Each command group lives in its own ``cli_*`` module."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

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
from emporium.settings import get_settings

app = typer.Typer(
    help="emporium: recommendations, search and commerce for online shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # paragraphs of docstrings reflow to the terminal
)


@app.callback()
def _settings_are_valid() -> None:
    """Read the settings once before any command, so a bad EMPORIUM_* value is one message."""
    try:
        settings = get_settings()
    except ValidationError as e:
        typer.echo(f"error: invalid settings: {settings_problems(e)}", err=True)
        raise typer.Exit(2) from e
    blocker = _not_a_directory(settings.state_path)
    if blocker is not None:
        typer.echo(
            f"error: EMPORIUM_STATE_DIR={settings.state_dir} cannot be used: {blocker} is not "
            "a directory",
            err=True,
        )
        raise typer.Exit(2)


def _not_a_directory(path: Path) -> Path | None:
    """The existing non-directory at or above ``path`` that keeps it from being a directory."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def settings_problems(error: ValidationError) -> str:
    """Each problem as ``EMPORIUM_SECTION__FIELD: message``, on one line."""
    problems = []
    for item in error.errors():
        name = "__".join(str(part) for part in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"EMPORIUM_{name}: {message}" if name else message)
    return "; ".join(problems)


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


def main() -> None:
    """The ``emporium`` console script: the app, with a full disk, a state directory that
    cannot be written to or a database that refuses the work (read-only, locked, gone)
    reported as one line (exit 1) instead of a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from commerce.adapters.db import error_line

    try:
        app()
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        typer.echo(f"error: {where}{e.strerror or e}", err=True)
        raise SystemExit(1) from e
    except SQLAlchemyError as e:  # a transaction that failed was rolled back: nothing half-done
        typer.echo(f"error: database: {error_line(e)}", err=True)
        raise SystemExit(1) from e


if __name__ == "__main__":
    main()
