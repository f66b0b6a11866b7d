"""``emporium db upgrade``: apply the schema migrations to the configured database."""

from __future__ import annotations

import typer

from commerce.adapters.db import upgrade
from emporium.settings import get_settings
from emporium.wiring import redact

app = typer.Typer(help="The relational database: schema migrations.", no_args_is_help=True)


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
