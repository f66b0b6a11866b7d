"""`emporium services`: Install, start, stop and check the real engines on 127.0.0.1."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Install, start, stop and check the real engines on 127.0.0.1.",
    no_args_is_help=True,
)
