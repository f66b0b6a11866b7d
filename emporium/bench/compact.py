"""``emporium bench compact``: bronze's files, bytes and read time before and after compaction.

A fragmented bronze is built in a temporary state directory by the real streaming ingest:
``--batches`` segments published to an on-disk log, alternating between the clickstream
(``product_view``, ``add_to_cart``) and commerce (``OrderPlaced``, ``PaymentCaptured``)
topics, each read as one micro-batch. Every micro-batch carries events on each of ``--days``
past days (as a replay or late data does), so it writes one small file per day and type of its
topic: ``batches x days x 2`` files in all. A read is ``read_bronze`` counting rows and distinct
event ids; its time is the median of ``--repeats`` reads after a warm-up read. Compaction is
``compact_table`` on every partition (all dated before today), deleting the files it replaced
at once (the nightly run deletes them one run later). The row count and the set of event ids
must be what was published, before and after, or the benchmark fails and reports nothing.
The work is in ``compact_run``, imported once the options are checked (it needs Spark).
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from emporium import outputs
from emporium.settings import get_settings

TYPES_PER_TOPIC = 2  # compact_run.TYPES: each micro-batch writes days x 2 files


def check_sizes(events: int, days: int, batches: int) -> None:
    """Refuse sizes that would not give each micro-batch a file in each of its partitions."""
    if batches < 4:
        raise typer.BadParameter(
            f"{batches}: at least 4 micro-batches (2 per topic), or no partition has two "
            "files to compact",
            param_hint="--batches",
        )
    cells = batches * days * TYPES_PER_TOPIC
    if events < cells:
        raise typer.BadParameter(
            f"{events} is too few: {batches} micro-batches x {days} days x {TYPES_PER_TOPIC} "
            f"types need {cells} events at least (one per file)",
            param_hint="--events",
        )


def command(
    events: Annotated[int, typer.Option(min=1, help="Events published in all.")] = 18_000,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Past days they fall on.")] = 20,
    batches: Annotated[int, typer.Option(help="Micro-batches (log segments), at least 4.")] = 30,
    repeats: Annotated[int, typer.Option(min=1, help="Timed reads each side (median).")] = 3,
    target_mb: Annotated[
        int | None,
        typer.Option(min=1, help="Target file MiB (default EMPORIUM_COMPACTION__TARGET_FILE_MB)."),
    ] = None,
    master: Annotated[str | None, typer.Option(help="Spark master (default from settings)")] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON.")
    ] = None,
) -> None:
    """Files, bytes and read time of bronze before and after compaction, and its run time."""
    check_sizes(events, days, batches)
    outputs.check_writable(json_path)
    settings = get_settings()
    from emporium.bench.compact_run import BronzeChanged, Params, run
    from pipelines.spark import build_spark

    params = Params(events, days, batches, repeats, target_mb or settings.compaction.target_file_mb)
    work = settings.state_path / "bench" / f"compact-{uuid.uuid4().hex[:8]}"
    spark = build_spark(
        master or settings.spark.master, "emporium-bench-compact", settings.spark.driver_memory,
        settings.spark.shuffle_partitions, kafka=False,
    )  # fmt: skip
    try:
        result = run(spark, work, params)
    except BronzeChanged as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    _print(result)
    if json_path is not None:
        outputs.write_text(json_path, json.dumps(result, indent=2))
        typer.echo(f"wrote {json_path}")


def _print(r: dict[str, Any]) -> None:
    typer.echo(f"{'bronze':<8}{'files':>8}{'MiB':>9}{'read s':>9}")
    for side in ("before", "after"):
        mib = r[f"bytes_{side}"] / 2**20
        typer.echo(f"{side:<8}{r[f'files_{side}']:>8}{mib:>9.1f}{r[f'read_s_{side}']:>9.3f}")
    typer.echo(
        f"compaction {r['compact_s']:.3f} s ({r['partitions_compacted']} partitions); "
        f"{r['rows']} rows and their event ids the same before and after"
    )
