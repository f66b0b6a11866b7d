"""`emporium models`: Train, list, promote and roll back models."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Train, list, promote and roll back models.", no_args_is_help=True
)
