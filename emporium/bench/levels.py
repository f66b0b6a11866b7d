"""What the load benchmarks share: concurrency levels from the command line, and latency
percentiles."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import typer

#: ``--clients`` of every load benchmark.
CLIENTS = typer.Option("1,8,32", help="Comma-separated concurrency levels.")
#: Table columns (header, key, width) every load benchmark prints.
CLIENTS_COLUMN = ("clients", "clients", 7)
LATENCY_COLUMNS = [("p50 ms", "p50_ms", 8), ("p99 ms", "p99_ms", 8)]


def parse_levels(clients: str) -> list[int]:
    """The concurrency levels of ``--clients`` (positive whole numbers, e.g. ``1,8,32``)."""
    try:
        levels = [int(c) for c in clients.split(",")]
    except ValueError:
        levels = []
    if not levels or min(levels) < 1:
        raise typer.BadParameter(
            f"{clients!r}: expected positive whole numbers such as 1,8,32", param_hint="--clients"
        )
    return levels


def latency_ms(latencies: list[float]) -> dict[str, float]:
    """p50 and p99 of ``latencies`` (seconds, at least one) in milliseconds."""
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


def run_clients(clients: int, client: Callable[[int], None]) -> float:
    """Run ``client(0)`` … ``client(clients - 1)`` at once, each on its own thread; the
    seconds until the last is done."""
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def echo_table(columns: list[tuple[str, str, int]], rows: list[dict[str, Any]]) -> None:
    """Print ``rows`` under ``columns`` (header, the row's key, width; text left-aligned,
    numbers right-aligned)."""

    def cell(value: object, width: int) -> str:
        return f"{value:<{width}}" if isinstance(value, str) else f"{value:>{width}}"

    first = rows[0] if rows else {}
    headers = [(h, isinstance(first.get(key), str), width) for h, key, width in columns]
    typer.echo(" ".join(f"{h:<{w}}" if text else f"{h:>{w}}" for h, text, w in headers))
    for row in rows:
        typer.echo(" ".join(cell(row[key], width) for _, key, width in columns))
