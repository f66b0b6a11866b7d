"""`emporium bench`: Benchmarks: each prints a table and, with --json PATH, JSON."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Benchmarks: each prints a table and, with --json PATH, JSON.",
    no_args_is_help=True,
)

from emporium.bench import search  # noqa: E402  (registered where the group is defined)

app.command("search")(search.command)

from emporium.bench import ingest  # noqa: E402

app.command("ingest")(ingest.command)

from emporium.bench import checkout  # noqa: E402

app.command("checkout")(checkout.command)

from emporium.bench import recs  # noqa: E402

app.command("recs")(recs.command)

from emporium.bench import train  # noqa: E402

app.command("train")(train.command)
