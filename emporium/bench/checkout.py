"""``emporium bench checkout``: checkouts per second, p50/p99 latency and oversold units.

Each concurrency level runs in a fresh PostgreSQL schema; see ``checkout_run`` for the method.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer


def command(
    database_url: str = typer.Option(
        "", help="PostgreSQL URL; default EMPORIUM_TEST_POSTGRES_URL or EMPORIUM_DATABASE__URL."
    ),
    clients: str = typer.Option("1,8,32", help="Comma-separated concurrency levels."),
    per_client: int = typer.Option(20, min=1, help="Checkouts attempted by each client."),
    json_path: Path = typer.Option(None, "--json", help="Write one JSON object per level."),
) -> None:
    """Checkouts per second and p50/p99 latency at each concurrency level, and oversold units."""
    base = (
        database_url
        or os.environ.get("EMPORIUM_TEST_POSTGRES_URL")
        or os.environ.get("EMPORIUM_DATABASE__URL", "")
    )
    if not base.startswith("postgresql"):
        typer.echo("error: the checkout bench needs PostgreSQL (--database-url)", err=True)
        raise typer.Exit(2)
    from emporium.bench.checkout_run import isolated_level

    results = [isolated_level(base, int(c), per_client) for c in clients.split(",")]
    typer.echo(
        f"{'clients':>7} {'attempts':>8} {'ok':>5} {'chk/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'oversold':>8}"
    )
    for r in results:
        typer.echo(
            f"{r['clients']:>7} {r['attempts']:>8} {r['succeeded']:>5} "
            f"{r['checkouts_per_s']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['oversold_units']:>8}"
        )
    if json_path is not None:
        json_path.write_text("".join(json.dumps(r) + "\n" for r in results))
    if any(r["oversold_units"] or not r["ledger_matches_projection"] for r in results):
        raise typer.Exit(1)
