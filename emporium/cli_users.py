"""`emporium users`: Manage users."""

from __future__ import annotations

import typer

from emporium.cli_db import migrate
from emporium.settings import get_settings

app = typer.Typer(help="Manage users.", no_args_is_help=True, rich_markup_mode="markdown")


@app.command("create-admin")
def create_admin_command(
    email: str = typer.Option(..., help="The administrator's email address."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters; prompted for (hidden) when omitted.",
    ),
) -> None:
    """Create an administrator account (migrations are applied first)."""
    from commerce.adapters.security import PasswordHasher
    from commerce.domain.errors import CommerceError
    from commerce.service_layer.auth import create_admin
    from emporium.engines import unit_of_work_factory

    settings = get_settings()
    migrate(settings)
    try:
        with unit_of_work_factory(settings.database_url) as uow_factory:
            user = create_admin(uow_factory(), PasswordHasher(), email, password)
    except CommerceError as e:
        # The message never contains the password (see commerce.domain.users).
        typer.echo(f"error: {e.code}: {e.message}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"created admin {user.email} (id {user.id})")
