"""``emporium db upgrade``: apply the schema migrations; ``emporium db outbox``: the relay's backlog
and its set-aside (dead-letter) rows."""

from __future__ import annotations

import contextlib

import typer

from emporium.settings import Settings, get_settings

app = typer.Typer(
    help="The relational database: migrations, the outbox.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def make_state_dir(settings: Settings) -> None:
    """Create the state directory, or exit 2 with a message when it cannot be."""
    try:
        settings.state_path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        typer.echo(
            f"error: EMPORIUM_STATE_DIR={settings.state_dir} cannot be created: {e.strerror or e}",
            err=True,
        )
        raise typer.Exit(2) from e


def migrate(settings: Settings, revision: str = "head") -> None:
    """Migrate the configured database; a failure is a one-line message and exit 1.

    A SQLite file (and state directory) that did not exist before is removed again when
    migrating fails, so a failed command leaves nothing behind."""
    from commerce.adapters.db import error_line, upgrade
    from emporium.engines import redact, sqlite_file

    new_state_dir = not settings.state_path.exists()
    make_state_dir(settings)
    url = settings.database_url
    file = sqlite_file(url)
    fresh = file is not None and not file.exists()
    # The folders a new SQLite file needs, as the API's engine would make them at start-up.
    missing = [] if file is None else [d for d in file.parents if not d.exists()]
    try:
        for folder in reversed(missing):
            folder.mkdir()
        upgrade(url, revision)
    except Exception as e:
        if fresh and file is not None:
            with contextlib.suppress(OSError):
                file.unlink()
        for folder in missing:  # innermost first; only what this call made, and only if empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        if new_state_dir:
            with contextlib.suppress(OSError):
                settings.state_path.rmdir()  # only if empty
        typer.echo(
            f"error: migrating EMPORIUM_DATABASE__URL={redact(url)} failed: {error_line(e)}",
            err=True,
        )
        raise typer.Exit(1) from e


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head")) -> None:
    """Run the Alembic migrations up to ``revision`` (default: the newest)."""
    from commerce.adapters.db import current_revision
    from emporium.engines import redact

    settings = get_settings()
    migrate(settings, revision)
    # Upgrading to an earlier revision changes nothing: say where the database really is.
    at = current_revision(settings.database_url) or "base"
    typer.echo(f"database {redact(settings.database_url)} is at {at}")


@app.command("outbox")
def outbox_command(
    retry: bool = typer.Option(False, help="Put every set-aside row back in line."),
) -> None:
    """Rows waiting for the relay, and rows set aside because they could not be read."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from commerce.adapters.db import error_line
    from commerce.adapters.outbox import SqlAlchemyOutboxSource
    from emporium.engines import database_sessions, redact, sqlite_file

    url = get_settings().database_url
    file = sqlite_file(url)
    if file is not None and not file.is_file():
        typer.echo(f"error: no database at {file}: run `emporium db upgrade` first", err=True)
        raise typer.Exit(1)
    try:
        with database_sessions(url) as sessions:
            source = SqlAlchemyOutboxSource(sessions)
            if retry:
                typer.echo(f"{source.retry_dead_letters()} set-aside rows are back in line")
            dead = source.dead_letters()
            typer.echo(f"pending: {source.pending_count()}; set aside: {len(dead)}")
            for row_id, topic, error in dead:
                typer.echo(f"  row {row_id} ({topic}): {error}")
    except Exception as e:
        hint = ""
        if isinstance(e, (OperationalError, ProgrammingError)) and "outbox" in error_line(e):
            hint = " (run `emporium db upgrade` first)"
        typer.echo(
            f"error: reading the outbox of EMPORIUM_DATABASE__URL={redact(url)} failed: "
            f"{error_line(e)}{hint}",
            err=True,
        )
        raise typer.Exit(1) from e
