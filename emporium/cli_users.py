"""`emporium users`: Manage users."""

from __future__ import annotations

import typer

from commerce.adapters.db import make_engine, make_session_factory, upgrade
from commerce.adapters.security import PasswordHasher
from commerce.domain.errors import CommerceError
from commerce.service_layer.auth import create_admin
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.settings import get_settings

app = typer.Typer(help="Manage users.", no_args_is_help=True)


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
    settings = get_settings()
    settings.state_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
        user = create_admin(uow, PasswordHasher(), email, password)
    except CommerceError as e:
        # The message never contains the password (see commerce.domain.users).
        typer.echo(f"error: {e.code}: {e.message}", err=True)
        raise typer.Exit(1) from e
    finally:
        engine.dispose()
    typer.echo(f"created admin {user.email} (id {user.id})")
