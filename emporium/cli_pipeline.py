"""Pipeline commands (``emporium replay``, ``ingest``, ``batch``, ``compact``, ``train``,
``reindex``).

Each is a thin shell over :mod:`emporium.steps`, the same functions the Airflow DAGs run.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import typer

from emporium import steps
from emporium.settings import get_settings

# A Spark trigger interval such as "5 seconds", "1 minute" or "500 milliseconds" (Spark takes
# a fraction with seconds only).
_INTERVAL = re.compile(
    r"\s*(\d+\s+(millisecond|second|minute|hour|day)|\d+\.\d+\s+second)s?\s*", re.IGNORECASE
)


def _interval(value: str) -> str:
    match = _INTERVAL.fullmatch(value)
    if match is None or float(match.group(1).split()[0]) <= 0:
        raise typer.BadParameter(
            f"{value!r}: a positive number and a unit, e.g. '5 seconds' or '1 minute'"
        )
    return value


def replay(
    dataset: str = typer.Argument(..., help="online-retail, taobao or rees46."),
    speedup: float = typer.Option(None, min=0.001, help="Replay event-time N times faster."),
    limit: int = typer.Option(None, min=1, help="Stop after N events."),
    batch_size: int = typer.Option(5000, min=1, help="Events per publish."),
) -> None:
    """Publish a real dataset as events with their original timestamps."""
    from emporium.engines import redact
    from models.datasets import DatasetError
    from pipelines.events.errors import EventBusError

    try:
        published = steps.replay(get_settings(), dataset, speedup, limit, batch_size)
    except DatasetError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    except EventBusError as e:
        url = redact(get_settings().events_url)
        typer.echo(f"error: EMPORIUM_EVENTS__URL={url}: {e}", err=True)
        raise typer.Exit(1) from e
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    typer.echo(json.dumps({"dataset": dataset, "published": published}))


def ingest(
    follow: bool = typer.Option(False, "--follow", help="Keep running (else stop when caught up)."),
    timeout: float = typer.Option(None, min=1, help="With --follow: stop after N seconds."),
    interval: str = typer.Option(
        "5 seconds", callback=_interval, help="With --follow: trigger interval ('5 seconds')."
    ),
    max_files: int = typer.Option(50, min=1, help="Log segments per micro-batch."),
) -> None:
    """Stream both topics from the event bus into the bronze Parquet lake (exactly once)."""
    try:
        outcome = steps.ingest(get_settings(), follow, timeout, interval, max_files)
    except (ValueError, steps.StepError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    except RuntimeError as e:  # a streaming query died; its checkpoint lets a rerun resume
        cause = str(e.__cause__ or "").strip().splitlines()[:1]
        typer.echo(f"error: {e}: {cause[0] if cause else 'see the log'}; run again to resume",
                   err=True)  # fmt: skip
        raise typer.Exit(1) from e
    typer.echo(json.dumps(outcome))


def batch(
    as_of: datetime = typer.Option(None, help="Feature time (default: the latest event)."),
    half_life_days: float = typer.Option(30.0, min=0.0, help="Interaction decay; 0 = none."),
) -> None:
    """Build silver and gold tables from bronze."""
    when = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    try:
        counts = steps.batch(get_settings(), when, half_life_days or None)
    except (FileNotFoundError, ValueError, steps.StepError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(json.dumps(counts))


def compact(
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan only: rewrite nothing."),
    target_mb: int = typer.Option(
        None, min=1, help="Target file size in MiB (default EMPORIUM_COMPACTION__TARGET_FILE_MB)."
    ),
    min_age_days: int = typer.Option(
        None, min=0, help="Compact partitions this many days old or older (0: today's too)."
    ),
) -> None:
    """Rewrite bronze's small files into few large ones: the emporium_maintenance DAG's step.

    Leaves erased accounts' events out (every file holding one is rewritten). Safe beside a
    running ingest or batch; rerun after a failure to finish."""
    try:
        outcome = steps.compact(get_settings(), dry_run, target_mb, min_age_days)
    except (FileNotFoundError, ValueError, steps.StepError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(json.dumps(outcome))


def train(
    force: bool = typer.Option(
        False, "--force", help="Train even when the champion was trained on these same data."
    ),
) -> None:
    """Train on the gold interactions, register and gate: the emporium_train DAG's step.

    EMPORIUM_TRAINING__MODEL picks the model (default ease; ranker tunes on validation first).
    When the champion is that model, trained by this commit on these same interactions, it is
    kept and nothing is trained (`"skipped": true`)."""
    _run_step(functools.partial(steps.train, force=force))


def reindex() -> None:
    """Rebuild the search index from the catalog and swap the alias: the
    emporium_search_reindex DAG's step."""
    _run_step(steps.reindex)


def _run_step(step: Callable[[Any], dict[str, Any]]) -> None:
    try:
        outcome = step(get_settings())
    except (FileNotFoundError, steps.StepError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(json.dumps(outcome, default=str))


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the top-level app: the steps the DAGs run, by hand."""
    app.command("replay")(replay)
    app.command("ingest")(ingest)
    app.command("batch")(batch)
    app.command("compact")(compact)
    app.command("train")(train)
    app.command("reindex")(reindex)
