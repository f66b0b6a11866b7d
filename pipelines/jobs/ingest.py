"""Streaming ingest: the bus (Kafka or the on-disk log) → bronze Parquet, exactly once.

Two file-sink queries share one parsed stream: valid events to bronze (partitioned by
``date`` and ``type``), everything else to quarantine with its reason. Each sink has its own
checkpoint, so a query killed at any point resumes where its last committed batch ended, and
the file sink's metadata log hides the files of a batch that never committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from pipelines.jobs.lake import LakePaths
from pipelines.jobs.log_segments import check_log_unchanged, record_ingested_segments
from pipelines.jobs.sink_files import claim_location, read_sink
from pipelines.schema import BRONZE_PARTITIONS, QUARANTINE_PARTITIONS
from pipelines.transforms.bronze import parse_envelope, to_bronze, to_quarantine

SEGMENT_GLOB = "seg-*.jsonl"


@dataclass(frozen=True)
class IngestSettings:
    """What the ingest job needs, passed in by the caller (the CLI maps ``Settings`` here)."""

    events_url: str
    topics: tuple[str, ...]
    lake: Path
    available_now: bool = True
    trigger_interval: str = "5 seconds"
    max_files_per_trigger: int = 50
    max_offsets_per_trigger: int = 200_000


def read_log(spark: SparkSession, root: Path, topics: tuple[str, ...], max_files: int) -> DataFrame:
    """Stream the completed segments of the on-disk log (temp files start with a dot)."""
    paths = [str(root / topic) for topic in topics]
    for path in paths:
        Path(path).mkdir(parents=True, exist_ok=True)  # a file source needs its directory
    stream = (
        spark.readStream.format("text")
        .option("pathGlobFilter", SEGMENT_GLOB)
        .option("maxFilesPerTrigger", max_files)
        .load(paths[0] if len(paths) == 1 else _glob(root, topics))
    )
    file_path = F.col("_metadata.file_path")
    return stream.select(
        F.col("value").alias("raw"),
        F.regexp_extract(file_path, r"/([^/]+)/seg-\d+\.jsonl$", 1).alias("topic"),
        F.lit("log").alias("source"),
        F.regexp_extract(file_path, r"(seg-\d+)\.jsonl$", 1).alias("position"),
        F.current_timestamp().alias("ingested_at"),
    )


def _glob(root: Path, topics: tuple[str, ...]) -> str:
    return f"{root}/{{{','.join(topics)}}}"


def read_kafka(
    spark: SparkSession, bootstrap: str, topics: tuple[str, ...], max_offsets: int
) -> DataFrame:
    """Stream the topics from Kafka from the earliest offset (the checkpoint owns positions)."""
    stream = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", ",".join(topics))
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", max_offsets)
        .load()
    )
    return stream.select(
        F.col("value").cast("string").alias("raw"),
        F.col("topic"),
        F.lit("kafka").alias("source"),
        F.concat_ws(":", F.col("partition").cast("string"), F.col("offset").cast("string")).alias(
            "position"
        ),
        F.current_timestamp().alias("ingested_at"),
    )


def read_bus(spark: SparkSession, settings: IngestSettings) -> DataFrame:
    """The raw stream for ``settings.events_url`` (``log:///path`` or ``kafka://h:p``)."""
    parts = urlsplit(settings.events_url)
    if parts.scheme == "log":
        root = Path(parts.path)
        check_log_unchanged(root, settings.lake)
        record_ingested_segments(settings.lake)  # those a killed run read and did not record
        return read_log(spark, root, settings.topics, settings.max_files_per_trigger)
    if parts.scheme == "kafka":
        return read_kafka(spark, parts.netloc, settings.topics, settings.max_offsets_per_trigger)
    raise ValueError(f"unsupported events URL {settings.events_url!r}")


def start_ingest(spark: SparkSession, settings: IngestSettings) -> list[StreamingQuery]:
    """Start the bronze and quarantine queries; the caller waits or stops them."""
    lake = LakePaths(settings.lake)
    parsed = parse_envelope(read_bus(spark, settings))
    sinks = [
        ("bronze", to_bronze(parsed), lake.bronze, BRONZE_PARTITIONS),
        ("quarantine", to_quarantine(parsed), lake.quarantine, QUARANTINE_PARTITIONS),
    ]
    queries = []
    for name, frame, path, partitions in sinks:
        # One task per (date, type) in each micro-batch: a batch writes one file per value,
        # not one per Kafka partition or log segment and value.
        writer = (
            frame.repartition(*partitions)
            .writeStream.format("parquet")
            .queryName(f"ingest-{name}")
            .option("checkpointLocation", str(lake.checkpoint(f"ingest-{name}")))
            .partitionBy(*partitions)
            .outputMode("append")
        )
        claim_location(path)
        if settings.available_now:
            writer = writer.trigger(availableNow=True)
        else:
            writer = writer.trigger(processingTime=settings.trigger_interval)
        queries.append(writer.start(str(path)))
    return queries


def run_ingest(
    spark: SparkSession, settings: IngestSettings, timeout_s: float | None = None
) -> None:
    """Run ingest: until caught up (``available_now``) or until ``timeout_s`` / Ctrl-C."""
    queries = start_ingest(spark, settings)
    try:
        for query in queries:
            if timeout_s is None:
                query.awaitTermination()
            else:
                query.awaitTermination(timeout_s)
    finally:
        for query in queries:
            if query.isActive:
                query.stop()
        if urlsplit(settings.events_url).scheme == "log":
            record_ingested_segments(settings.lake)
    for query in queries:
        if query.exception() is not None:
            raise RuntimeError(f"{query.name} failed") from query.exception()


def read_bronze(spark: SparkSession, lake: Path) -> DataFrame:
    """The committed bronze events: the files the sink's metadata log lists, or, once
    compacted, those the compaction manifest reads instead (``sink_files.read_sink``)."""
    return read_sink(spark, LakePaths(lake).bronze)


def read_quarantine(spark: SparkSession, lake: Path) -> DataFrame:
    """The committed quarantine records (compacted or not, as ``read_bronze``)."""
    return read_sink(spark, LakePaths(lake).quarantine)
