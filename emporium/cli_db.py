"""``emporium db upgrade``: apply the schema migrations; ``emporium db outbox``: the relay's backlog
and its set-aside (dead-letter) rows."""

from __future__ import annotations

import typer

from commerce.adapters.db import upgrade
from emporium.settings import get_settings
from emporium.wiring import database_sessions, redact

app = typer.Typer(help="The relational database: migrations, the outbox.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head")) -> None:
    """Run the Alembic migrations up to ``revision`` (default: the newest)."""
    settings = get_settings()
    settings.state_path.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.database_url, revision)
    except Exception as e:
        typer.echo(
            f"error: migrating EMPORIUM_DATABASE__URL={redact(settings.database_url)} failed: {e}",
            err=True,
        )
        raise typer.Exit(1) from e
    typer.echo(f"database {redact(settings.database_url)} is at {revision}")


@app.command("outbox")
def outbox_command(
    retry: bool = typer.Option(False, help="Put every set-aside row back in line."),
) -> None:
    """Rows waiting for the relay, and rows set aside because they could not be read."""
    from commerce.adapters.outbox import SqlAlchemyOutboxSource

    try:
        with database_sessions(get_settings().database_url) as sessions:
            source = SqlAlchemyOutboxSource(sessions)
            if retry:
                typer.echo(f"{source.retry_dead_letters()} set-aside rows are back in line")
            dead = source.dead_letters()
            typer.echo(f"pending: {source.pending_count()}; set aside: {len(dead)}")
            for row_id, topic, error in dead:
                typer.echo(f"  row {row_id} ({topic}): {error}")
    except Exception as e:
        typer.echo(f"error: reading the outbox failed: {e}", err=True)
        raise typer.Exit(1) from e
