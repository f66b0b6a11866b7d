"""``emporium bench checkout``: checkouts per second, p50/p99 latency and oversold units.

Each concurrency level runs in a fresh PostgreSQL schema; see ``checkout_run`` for the method.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from emporium import outputs
from emporium.bench.levels import (
    CLIENTS,
    CLIENTS_COLUMN,
    LATENCY_COLUMNS,
    echo_table,
    parse_levels,
)

#: The table's columns: header, key of the result, width.
COLUMNS = [
    CLIENTS_COLUMN, ("attempts", "attempts", 8), ("ok", "succeeded", 5),
    ("chk/s", "checkouts_per_s", 8), *LATENCY_COLUMNS, ("oversold", "oversold_units", 8)
]  # fmt: skip


def command(
    database_url: str = typer.Option(
        "", help="PostgreSQL URL; default EMPORIUM_TEST_POSTGRES_URL or EMPORIUM_DATABASE__URL."
    ),
    clients: str = CLIENTS,
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
    levels = parse_levels(clients)
    outputs.check_writable(json_path)
    from sqlalchemy.exc import SQLAlchemyError

    from commerce.adapters.db import error_line
    from emporium.bench.checkout_run import isolated_level
    from emporium.engines import redact

    try:
        results = [isolated_level(base, level, per_client) for level in levels]
    except SQLAlchemyError as e:
        typer.echo(f"error: the checkout bench on {redact(base)} failed: {error_line(e)}", err=True)
        raise typer.Exit(1) from e
    echo_table(COLUMNS, results)
    if json_path is not None:
        outputs.write_text(json_path, "".join(json.dumps(r) + "\n" for r in results))
    if any(r["oversold_units"] or not r["ledger_matches_projection"] for r in results):
        raise typer.Exit(1)
