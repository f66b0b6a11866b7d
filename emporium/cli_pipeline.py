"""Pipeline commands (``emporium replay``, ``emporium ingest``, ``emporium batch``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from emporium.settings import Settings, get_settings


def _spark(settings: Settings, app_name: str, kafka: bool):  # type: ignore[no-untyped-def]
    from pipelines.spark import build_spark

    return build_spark(
        master=settings.spark.master,
        app_name=app_name,
        driver_memory=settings.spark.driver_memory,
        shuffle_partitions=settings.spark.shuffle_partitions,
        kafka=kafka,
    )


def topics(settings: Settings) -> tuple[str, str]:
    """The (clickstream, commerce) topic names in use."""
    return settings.events.clickstream_topic, settings.events.commerce_topic


def replay(
    dataset: str = typer.Argument(..., help="online-retail, taobao or rees46."),
    speedup: float = typer.Option(None, min=0.001, help="Replay event-time N times faster."),
    limit: int = typer.Option(None, min=1, help="Stop after N events."),
    batch_size: int = typer.Option(5000, min=1, help="Events per publish."),
) -> None:
    """Publish a real dataset as events with their original timestamps."""
    from pipelines.events import CLICKSTREAM, COMMERCE
    from pipelines.events.factory import event_bus_from_url
    from pipelines.replay import REPLAYS
    from pipelines.replay.common import TopicEvent
    from pipelines.replay.runner import replay as run_replay

    settings = get_settings()
    if dataset not in REPLAYS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; one of {', '.join(REPLAYS)}")
    names = dict(zip((CLICKSTREAM, COMMERCE), topics(settings), strict=True))
    stream = (TopicEvent(names[t], e) for t, e in REPLAYS[dataset](settings.data_dir))
    bus = event_bus_from_url(settings.events_url)
    try:
        stats = run_replay(stream, bus, speedup=speedup, limit=limit, batch_size=batch_size)
    finally:
        bus.close()
    typer.echo(json.dumps({"dataset": dataset, "published": dict(stats.published)}))


def ingest(
    follow: bool = typer.Option(False, "--follow", help="Keep running (else stop when caught up)."),
    timeout: float = typer.Option(None, min=1, help="With --follow: stop after N seconds."),
    interval: str = typer.Option("5 seconds", help="With --follow: trigger interval."),
    max_files: int = typer.Option(50, min=1, help="Log segments per micro-batch."),
) -> None:
    """Stream both topics from the event bus into the bronze Parquet lake (exactly once)."""
    from pipelines.jobs.ingest import IngestSettings, run_ingest

    settings = get_settings()
    job = IngestSettings(
        events_url=settings.events_url,
        topics=topics(settings),
        lake=settings.lake_path,
        available_now=not follow,
        trigger_interval=interval,
        max_files_per_trigger=max_files,
    )
    spark = _spark(settings, "emporium-ingest", settings.events_url.startswith("kafka://"))
    try:
        run_ingest(spark, job, timeout_s=timeout)
    finally:
        spark.stop()
    typer.echo(json.dumps({"lake": str(settings.lake_path), "follow": follow}))


def batch(
    as_of: datetime = typer.Option(None, help="Feature time (default: the latest event)."),
    half_life_days: float = typer.Option(30.0, min=0.0, help="Interaction decay; 0 = none."),
) -> None:
    """Build silver and gold tables from bronze."""
    from pipelines.jobs.batch import BatchSettings, run_batch
    from pipelines.transforms.gold import InteractionWeights

    settings = get_settings()
    weights = InteractionWeights(half_life_days=half_life_days or None)
    when = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    job = BatchSettings(lake=settings.lake_path, weights=weights, as_of=when)
    spark = _spark(settings, "emporium-batch", kafka=False)
    try:
        counts = run_batch(spark, job)
    finally:
        spark.stop()
    typer.echo(json.dumps(counts))


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the top-level app."""
    app.command("replay")(replay)
    app.command("ingest")(ingest)
    app.command("batch")(batch)
