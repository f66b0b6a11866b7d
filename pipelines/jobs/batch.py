"""Batch: bronze → silver (events, purchases) → gold tables the models train on.

Every table is rewritten in full, so running the job twice gives the same lake. Each is
written beside the old one and swapped in when complete: a run killed midway leaves the
previous tables readable.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.jobs.ingest import read_bronze
from pipelines.jobs.lake import LakePaths, staged, swapped_out
from pipelines.transforms import features, gold, training
from pipelines.transforms.silver import purchase_lines, silver_events

GOLD_TABLES = (
    "interactions",
    "item_popularity",
    "co_occurrence",
    "user_features",
    "item_features",
    "ranking_training_set",
)


@dataclass(frozen=True)
class BatchSettings:
    """Knobs of the batch job (the CLI maps ``Settings`` and options here)."""

    lake: Path
    session_gap_minutes: int = 30
    max_events_per_minute: int = 60
    weights: gold.InteractionWeights = field(default_factory=gold.InteractionWeights)
    popularity_window: str = "7 days"
    popularity_slide: str = "1 day"
    max_basket: int = 200
    negatives_per_positive: int = 4
    as_of: datetime | None = None  # None: the time of the latest event
    clickstream_topic: str = "clickstream"  # whose events the bot filter looks at


def run_silver(spark: SparkSession, settings: BatchSettings) -> dict[str, int]:
    """Write ``silver/events`` (partitioned by date) and ``silver/purchases``."""
    lake = LakePaths(settings.lake)
    events = silver_events(
        read_bronze(spark, settings.lake),
        settings.session_gap_minutes,
        settings.max_events_per_minute,
        settings.clickstream_topic,
    )
    _write(events, lake.silver("events"), "date")
    silver = spark.read.parquet(str(lake.silver("events")))
    _write(purchase_lines(silver), lake.silver("purchases"))
    return {
        "silver.events": silver.count(),
        "silver.purchases": spark.read.parquet(str(lake.silver("purchases"))).count(),
    }


def gold_tables(
    events: DataFrame, settings: BatchSettings, as_of: datetime
) -> dict[str, Callable[[], DataFrame]]:
    """Each gold table as a lazy builder over the silver events.

    Only events up to ``as_of`` count, in every table: gold built as of a past time must not
    see later orders (as co-occurrences, popularity or training labels), nor later refunds
    or payments, so the purchases are rebuilt from those events rather than read from
    silver's (which are as of the latest event). The signals and labels several tables share
    are cached on first use; ``run_gold`` clears Spark's cache when it is done."""
    events = events.where(F.col("ts") <= F.lit(as_of))
    purchases = purchase_lines(events).cache()
    everyone = gold.interaction_signals(events, purchases, anonymous=True).cache()
    signals = everyone.where(F.col("user_id").isNotNull())  # user-item tables need a user
    labels = training.purchase_labels(purchases, settings.negatives_per_positive).cache()
    return {
        "interactions": lambda: gold.interactions(signals, settings.weights, as_of),
        "item_popularity": lambda: gold.item_popularity(
            everyone, settings.popularity_window, settings.popularity_slide
        ),
        "co_occurrence": lambda: gold.co_occurrence(purchases, max_basket=settings.max_basket),
        "user_features": lambda: gold.user_features(purchases, signals, as_of),
        "item_features": lambda: features.item_features(events, purchases, everyone, as_of),
        "ranking_training_set": lambda: training.ranking_training_set(labels, purchases, signals),
    }


def run_gold(spark: SparkSession, settings: BatchSettings) -> dict[str, int]:
    """Write every gold table from silver; returns their row counts."""
    lake = LakePaths(settings.lake)
    events = spark.read.parquet(str(lake.silver("events"))).cache()
    first, last = _span(events)
    if settings.as_of is not None and settings.as_of < first:
        raise ValueError(
            f"as-of {settings.as_of.isoformat()} is before the first event "
            f"({first.isoformat()}): every gold table would be empty"
        )
    as_of = settings.as_of or last
    counts: dict[str, int] = {}
    for name, build in gold_tables(events, settings, as_of).items():
        _write(build(), lake.gold(name))
        counts[f"gold.{name}"] = spark.read.parquet(str(lake.gold(name))).count()
    spark.catalog.clearCache()
    return counts


def run_batch(spark: SparkSession, settings: BatchSettings) -> dict[str, int]:
    """Silver then gold; returns the row count of every table written."""
    return {**run_silver(spark, settings), **run_gold(spark, settings)}


def _write(frame: DataFrame, path: Path, *partitions: str) -> None:
    """Write ``frame`` to a staging directory beside ``path``, then swap it in."""
    staging, old = staged(path), swapped_out(path)
    restore(path)
    shutil.rmtree(staging, ignore_errors=True)
    if partitions:
        # One task per partition value: otherwise every task writes a file into every date
        # it holds (1,220 small files for Online Retail's 305 days, read back many times).
        frame = frame.repartition(*partitions)
    writer = frame.write.mode("overwrite")
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.parquet(str(staging))
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    staging.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def restore(path: Path) -> None:
    """Put back a table whose swap was interrupted between its two renames."""
    old = swapped_out(path)
    if not path.exists() and old.exists():
        old.rename(path)


def _span(events: DataFrame) -> tuple[datetime, datetime]:
    """The first and latest event times, as unambiguous instants."""
    row = events.agg(F.min("ts"), F.max("ts")).first()
    if row is None or row[1] is None:
        raise ValueError("silver has no events: run ingest first")
    # collect() gives naive local time; make them unambiguous instants.
    return row[0].astimezone(UTC), row[1].astimezone(UTC)
