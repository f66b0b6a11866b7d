"""``emporium bench serve``: requests per second and p50/p99 latency of the recommendation
endpoints at each concurrency level, against a real ``emporium serve`` process; see
``serve_run`` for the method."""

from __future__ import annotations

import json
import random
import tempfile
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

SAMPLE = 500  # users and items the requests are drawn from


#: The table's columns: header, key of the result, width.
COLUMNS = [
    ("endpoint", "endpoint", 16), CLIENTS_COLUMN, ("requests", "requests", 8),
    ("req/s", "requests_per_s", 8), *LATENCY_COLUMNS, ("not 200", "not_200", 7)
]  # fmt: skip


def command(
    dataset: str = typer.Option(
        "online-retail", help="online-retail | movielens-100k | interactions:PATH"
    ),
    model: str = typer.Option("ease", help="The champion to serve (any `models train` model)."),
    clients: str = CLIENTS,
    per_client: int = typer.Option(50, min=1, help="Requests sent by each client per endpoint."),
    n: int = typer.Option(10, min=1, max=100, help="Items asked for per request."),
    json_path: Path = typer.Option(None, "--json", help="Write one JSON object per row."),
) -> None:
    """Requests per second and p50/p99 latency of GET /recommendations/{user} and
    /products/{id}/similar at each concurrency level, served by `emporium serve`."""
    from emporium.bench.recs import load
    from emporium.bench.serve_run import BenchFailed, prepare, request_paths, run_level, serving
    from emporium.settings import get_settings
    from models.training import TRAINABLE

    levels = parse_levels(clients)
    if model not in TRAINABLE:
        raise typer.BadParameter(f"{model!r}: one of {', '.join(TRAINABLE)}", param_hint="--model")
    outputs.check_writable(json_path)
    interactions, _ = load(dataset, get_settings().data_dir)  # a bad --dataset stops here
    draw = random.Random(7)
    users = interactions["user_id"].drop_duplicates().tolist()
    items = interactions["item_id"].drop_duplicates().tolist()
    users, items = (draw.sample(ids, min(SAMPLE, len(ids))) for ids in (users, items))
    rows = []
    with tempfile.TemporaryDirectory(prefix="emporium-bench-serve-") as tmp:
        state = Path(tmp) / "var"
        try:
            typer.echo(f"training and registering {model} on {dataset} ...", err=True)
            prepare(state, dataset, model)
            # The champion may not know every sampled user (the split holds the newest out).
            paths = request_paths(users, items, n)
            with serving(state, "/health") as base:
                for endpoint, wanted in paths.items():
                    known = [p for p in wanted if _answers(base, p)]
                    if not known:
                        raise BenchFailed(f"no {endpoint} request of the sample answered 200")
                    rows += [run_level(base, known, c, per_client, endpoint) for c in levels]
        except BenchFailed as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from e
    echo_table(COLUMNS, rows)
    typer.echo(json.dumps({"model": model, "dataset": dataset, "rows": rows}))
    if json_path is not None:
        lines = [json.dumps(r | {"model": model, "dataset": dataset}) + "\n" for r in rows]
        outputs.write_text(json_path, "".join(lines))
    if any(r["not_200"] for r in rows):
        raise typer.Exit(1)


def _answers(base: str, path: str) -> bool:
    import httpx

    return httpx.get(base + path, timeout=60).status_code == 200
