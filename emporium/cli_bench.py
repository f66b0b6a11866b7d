"""``emporium bench``: benchmarks. Each prints a table and, with ``--json PATH``, JSON."""

from __future__ import annotations

import typer

from emporium.bench import checkout, compact, ingest, recs, search, serve, train

app = typer.Typer(
    help="Benchmarks: each prints a table and, with --json PATH, JSON.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.command("recs")(recs.command)
app.command("train")(train.command)
app.command("search")(search.command)
app.command("ingest")(ingest.command)
app.command("checkout")(checkout.command)
app.command("compact")(compact.command)
app.command("serve")(serve.command)
