"""``emporium bench ingest``: events/second from publish to bronze Parquet, per bus.

Beside each pipeline figure stands the raw consumer's rate on the same topics in the same run
(``EventBus.consume``, parsing every event), so the ratio shows what Spark costs over reading
the bus directly. Both figures include the same publish time: pipeline = N / (publish +
streaming ingest to committed Parquet); raw = N / (publish + consume all N). Spark's start-up
is excluded (the session is built and warmed on a small log run first). Fresh topics per
run; nothing is reused.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer

from emporium import outputs
from emporium.settings import Settings, get_settings
from pipelines.events import ConsumedEvent, Event, EventBus
from pipelines.events.errors import EventBusError
from pipelines.events.factory import event_bus_from_url

log = logging.getLogger(__name__)
DEFAULT_KAFKA = "kafka://127.0.0.1:59092"
BATCH = 1000


@dataclass
class IngestBenchRow:
    bus: str
    events: int
    publish_s: float
    raw_consume_s: float
    ingest_s: float
    pipeline_events_per_s: float
    raw_consumer_events_per_s: float
    ratio: float
    lost: int
    duplicated: int


def make_events(n: int) -> dict[str, list[Event]]:
    """Nine views for every order, spread over 500 users, keyed like real traffic."""
    click, commerce = [], []
    for i in range(n):
        user = f"u{i % 500}"
        if i % 10 == 9:
            lines = [{"product_id": f"p{i % 997}", "quantity": 1, "unit_price": 2.5}]
            order = {"order_id": f"o{i}", "lines": lines}
            commerce.append(Event(type="OrderPlaced", user_id=user, payload=order))
        else:
            click.append(Event(type="product_view", user_id=user, product_id=f"p{i % 997}"))
    return {"click": click, "commerce": commerce}


def _publish(bus: EventBus, topics: dict[str, str], events: dict[str, list[Event]]) -> float:
    start = time.perf_counter()
    for kind, items in events.items():
        for i in range(0, len(items), BATCH):
            bus.publish(topics[kind], items[i : i + BATCH])
    return time.perf_counter() - start


def _consume_all(bus: EventBus, topics: dict[str, str], expected: int, timeout_s: float) -> float:
    start, seen, tag = time.perf_counter(), set[str](), uuid.uuid4().hex[:8]
    deadline = start + timeout_s
    # One group per topic: a group spanning both would rebalance when the second joins.
    groups = {topic: f"bench-raw-{tag}-{topic}" for topic in topics.values()}
    while len(seen) < expected and time.perf_counter() < deadline:
        for topic, group in groups.items():
            batch = list(bus.consume(topic, group, max_events=5000, timeout_s=0.5))
            seen.update(str(c.event.event_id) for c in batch)
            if batch:
                _commit(bus, group, batch)
    if len(seen) < expected:
        raise RuntimeError(f"raw consumer saw {len(seen)} of {expected} events")
    return time.perf_counter() - start


def _commit(bus: EventBus, group: str, batch: list[ConsumedEvent]) -> None:
    try:
        bus.commit(group, batch)
    except EventBusError:
        # A rebalance while joining: the events come again and are counted once (by id).
        log.info("raw consumer commit failed during a rebalance; continuing")


def _create_kafka_topics(url: str, names: list[str], partitions: int) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=url.removeprefix("kafka://").split(","))
    spec = {"num_partitions": partitions, "replication_factor": 1}
    admin.create_topics({name: spec for name in names}, wait_for_metadata=True)
    admin.close()


def bench_bus(spark: object, url: str, n: int, work: Path, partitions: int) -> IngestBenchRow:
    """Publish ``n`` events to fresh topics on ``url``, read them raw, then ingest them."""
    from pipelines.jobs.ingest import IngestSettings, read_bronze, run_ingest

    tag = uuid.uuid4().hex[:8]
    topics = {"click": f"bench-click-{tag}", "commerce": f"bench-commerce-{tag}"}
    if url.startswith("kafka://"):
        _create_kafka_topics(url, list(topics.values()), partitions)
    events = make_events(n)
    bus = event_bus_from_url(url)
    try:
        publish_s = _publish(bus, topics, events)
        raw_s = _consume_all(bus, topics, n, timeout_s=600)
    finally:
        bus.close()
    settings = IngestSettings(url, tuple(topics.values()), work / f"lake-{tag}")
    start = time.perf_counter()
    run_ingest(spark, settings)  # type: ignore[arg-type]
    ingest_s = time.perf_counter() - start
    ids = read_bronze(spark, settings.lake).groupBy("event_id").count()  # type: ignore[arg-type]
    landed = ids.count()
    rows = ids.agg({"count": "sum"}).first()[0] or 0
    pipeline = n / (publish_s + ingest_s)
    raw = n / (publish_s + raw_s)
    return IngestBenchRow(
        bus=url.split(":", 1)[0], events=n, publish_s=round(publish_s, 3),
        raw_consume_s=round(raw_s, 3), ingest_s=round(ingest_s, 3),
        pipeline_events_per_s=round(pipeline, 1), raw_consumer_events_per_s=round(raw, 1),
        ratio=round(pipeline / raw, 4), lost=n - landed, duplicated=int(rows) - landed,
    )  # fmt: skip


def _urls(settings: Settings, buses: list[str], kafka_url: str | None, work: Path) -> list[str]:
    urls = []
    for name in buses:
        if name == "log":
            urls.append(f"log://{work / 'events'}")
        elif name == "kafka":
            configured = settings.events_url if settings.events_url.startswith("kafka") else None
            urls.append(kafka_url or configured or DEFAULT_KAFKA)
        else:
            raise typer.BadParameter(f"unknown bus {name!r}: log or kafka")
    return urls


def command(
    events: Annotated[int, typer.Option(min=100, help="Events per bus.")] = 20_000,
    bus: Annotated[list[str] | None, typer.Option("--bus", help="log and/or kafka.")] = None,
    kafka_url: Annotated[str | None, typer.Option(help="kafka://host:port")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write rows as JSON.")] = None,
) -> None:
    """Events/second from publish to bronze Parquet beside the raw consumer, per bus."""
    from pipelines.spark import build_spark

    outputs.check_writable(json_path)
    settings = get_settings()
    work = settings.state_path / "bench" / f"ingest-{uuid.uuid4().hex[:8]}"
    urls = _urls(settings, bus or ["log", "kafka"], kafka_url, work)
    spark = build_spark(
        settings.spark.master, "emporium-bench-ingest", settings.spark.driver_memory,
        settings.spark.shuffle_partitions, kafka=any(u.startswith("kafka") for u in urls),
    )  # fmt: skip
    rows = []
    try:
        # Warm the JVM (code generation, first-query set-up) so the first bus is not penalised.
        bench_bus(spark, f"log://{work / 'warmup'}", 500, work, 1)
        for url in urls:
            rows.append(bench_bus(spark, url, events, work, settings.events.partitions))
            _print(rows[-1:])
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    typer.echo("")
    _print(rows)
    if json_path is not None:
        outputs.write_text(json_path, json.dumps([asdict(r) for r in rows], indent=2))
        typer.echo(f"wrote {json_path}")


def _print(rows: list[IngestBenchRow]) -> None:
    header = f"{'bus':<6}{'events':>8}{'pipeline ev/s':>15}{'raw ev/s':>12}{'ratio':>8}"
    typer.echo(header + f"{'lost':>6}{'dup':>5}")
    for r in rows:
        typer.echo(
            f"{r.bus:<6}{r.events:>8}{r.pipeline_events_per_s:>15.0f}"
            f"{r.raw_consumer_events_per_s:>12.0f}{r.ratio:>8.3f}{r.lost:>6}{r.duplicated:>5}"
        )
