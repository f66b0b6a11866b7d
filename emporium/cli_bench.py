"""`emporium bench`: Benchmarks: each prints a table and, with --json PATH, JSON."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Benchmarks: each prints a table and, with --json PATH, JSON.",
    no_args_is_help=True,
)
