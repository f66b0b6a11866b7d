"""The platform's jobs as plain functions of ``Settings``.

The CLI, ``make demo`` and the Airflow DAGs all call these, so "the emporium CLI running the same
steps" as Airflow is literally true. Heavy imports (Spark, MLflow) happen inside each step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emporium.settings import Settings

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def topic_names(settings: Settings) -> tuple[str, str]:
    """The (clickstream, commerce) topic names in use."""
    return settings.events.clickstream_topic, settings.events.commerce_topic


class StepError(Exception):
    """A step cannot run or did not finish; the message says why (the CLI prints it)."""


@contextmanager
def exclusive(settings: Settings, job: str) -> Iterator[None]:
    """One ``job`` at a time per state directory: two ingests (or batches) writing one lake
    fight over the same files and both fail."""
    import fcntl

    path = settings.state_path / "locks" / f"{job}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise StepError(f"another `emporium {job}` is running on {settings.state_path}") from e
        yield  # the lock goes with the file handle


def lake_in_place(settings: Settings) -> None:
    """Refuse, before Spark starts, a lake whose bronze tables were copied or moved since
    ingest first wrote them (``pipelines.jobs.sink_files.check_location`` says why)."""
    from pipelines.jobs.lake import LakePaths
    from pipelines.jobs.sink_files import check_location

    lake = LakePaths(settings.lake_path)
    check_location(lake.bronze)
    check_location(lake.quarantine)


@contextmanager
def spark_session(settings: Settings, app_name: str) -> Iterator[SparkSession]:
    """A SparkSession on the configured master, stopped when the block ends.

    The Kafka connector is always on the classpath: Spark reads its jars only
    when its JVM starts, once per process, so a process whose first session lacked it (an
    Airflow worker running batch, then ingest) could never read Kafka afterwards.
    """
    from pipelines.spark import build_spark

    try:
        spark = build_spark(
            master=settings.spark.master,
            app_name=app_name,
            driver_memory=settings.spark.driver_memory,
            shuffle_partitions=settings.spark.shuffle_partitions,
            kafka=True,
        )
    except Exception as e:  # py4j and PySpark errors; the JVM's own reason is in the log
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        raise StepError(
            f"Spark did not start on {settings.spark.master!r} (EMPORIUM_SPARK__MASTER): {first}"
        ) from e
    try:
        yield spark
    finally:
        spark.stop()


def replay(
    settings: Settings,
    dataset: str,
    speedup: float | None = None,
    limit: int | None = None,
    batch_size: int = 5000,
) -> dict[str, int]:
    """Publish a dataset from the data directory as events; returns events per topic.

    The dataset is opened, and its first event read, before the bus is: a missing or
    unreadable dataset (``DatasetError``) publishes nothing and creates no event log.
    """
    import itertools

    from emporium.engines import event_topics
    from models.datasets import get_dataset
    from models.datasets.errors import DatasetUnreadable, reading
    from pipelines.events.factory import event_bus_from_url
    from pipelines.replay import REPLAYS
    from pipelines.replay.common import TopicEvent
    from pipelines.replay.runner import replay as run_replay

    if dataset not in REPLAYS:
        raise ValueError(f"unknown dataset {dataset!r}; one of {', '.join(REPLAYS)}")
    topics = event_topics(settings)
    events = REPLAYS[dataset](settings.data_dir)
    path = get_dataset(dataset).path(settings.data_dir)
    with reading(path, dataset):
        first = list(itertools.islice(events, 1))
    if not first:
        raise DatasetUnreadable(path, dataset, "not one event in it")
    stream = (TopicEvent(topics.on_bus(t), e) for t, e in itertools.chain(first, events))
    bus = event_bus_from_url(settings.events_url)
    try:
        stats = run_replay(stream, bus, speedup=speedup, limit=limit, batch_size=batch_size)
    finally:
        bus.close()
    return dict(stats.published)


def ingest(
    settings: Settings,
    follow: bool = False,
    timeout_s: float | None = None,
    interval: str = "5 seconds",
    max_files: int = 50,
) -> dict[str, Any]:
    """Stream both topics into the bronze lake (exactly once); stops when caught up."""
    from urllib.parse import urlsplit

    from pipelines.events.factory import BUSES
    from pipelines.jobs.ingest import IngestSettings, run_ingest

    if urlsplit(settings.events_url).scheme not in BUSES:  # before Spark starts
        expected = " or ".join(f"{scheme}://" for scheme in BUSES)
        raise ValueError(
            f"unsupported EMPORIUM_EVENTS__URL {settings.events_url!r}: expected {expected}"
        )
    job = IngestSettings(
        events_url=settings.events_url,
        topics=topic_names(settings),
        lake=settings.lake_path,
        available_now=not follow,
        trigger_interval=interval,
        max_files_per_trigger=max_files,
    )
    lake_in_place(settings)
    with exclusive(settings, "ingest"), spark_session(settings, "emporium-ingest") as spark:
        run_ingest(spark, job, timeout_s=timeout_s)
    return {"lake": str(settings.lake_path), "follow": follow}


def batch(
    settings: Settings, as_of: datetime | None = None, half_life_days: float | None = 30.0
) -> dict[str, int]:
    """Build the silver and gold tables from bronze; returns row counts per table."""
    from pipelines.jobs.batch import BatchSettings, run_batch
    from pipelines.jobs.lake import LakePaths
    from pipelines.transforms.gold import InteractionWeights

    bronze = LakePaths(settings.lake_path).bronze
    if not bronze.is_dir() or next(bronze.rglob("*.parquet"), None) is None:  # before Spark
        raise FileNotFoundError(
            f"no bronze events at {bronze}: run `emporium replay` and `emporium ingest` first"
        )

    lake_in_place(settings)
    weights = InteractionWeights(half_life_days=half_life_days or None)
    job = BatchSettings(lake=settings.lake_path, weights=weights, as_of=as_of,
                        clickstream_topic=topic_names(settings)[0])  # fmt: skip
    with exclusive(settings, "batch"), spark_session(settings, "emporium-batch") as spark:
        return run_batch(spark, job)


def compact(
    settings: Settings,
    dry_run: bool = False,
    target_mb: int | None = None,
    min_age_days: int | None = None,
) -> dict[str, Any]:
    """Compact the small files of bronze's events and quarantine tables, leaving erased
    accounts' events out of bronze's (``pipelines.jobs.erasure``); returns what each run did
    per table. Options left None come from ``settings.compaction``. Runs beside ingest and
    batch (they read and write through the sink log and the compaction manifest, see
    ``pipelines.jobs.sink_files``), one compaction at a time."""
    from pipelines.jobs.compaction import CompactionSettings, compact_table
    from pipelines.jobs.erasure import Erasure
    from pipelines.jobs.lake import LakePaths
    from pipelines.schema import BRONZE_PARTITIONS, QUARANTINE_PARTITIONS

    lake = LakePaths(settings.lake_path)
    if not (lake.bronze / "_spark_metadata").is_dir():  # before Spark
        raise StepError(f"no bronze table at {lake.bronze}: run `emporium ingest` first")
    lake_in_place(settings)
    config = settings.compaction
    try:  # CompactionSettings refuses a minimum age no date can meet
        job = CompactionSettings(
            target_bytes=(target_mb or config.target_file_mb) * 1024 * 1024,
            min_age_days=config.min_age_days if min_age_days is None else min_age_days,
            keep_replaced_s=config.keep_replaced_minutes * 60,
            dry_run=dry_run,
        )
    except ValueError as e:
        raise ValueError(f"{e} (--min-age-days or EMPORIUM_COMPACTION__MIN_AGE_DAYS)") from e
    erasure = Erasure(clickstream_topic=topic_names(settings)[0])
    tables = {"bronze.events": (lake.bronze, BRONZE_PARTITIONS, erasure),
              "bronze.quarantine": (lake.quarantine, QUARANTINE_PARTITIONS, None)}  # fmt: skip
    reports: dict[str, Any] = {"dry_run": dry_run}
    with exclusive(settings, "compact"), spark_session(settings, "emporium-compact") as spark:
        for name, (path, partitions, erase) in tables.items():
            if (path / "_spark_metadata").is_dir():
                report = compact_table(spark, path, partitions, job, erasure=erase)
                reports[name] = asdict(report)
    return reports


def train(
    settings: Settings,
    model: str | None = None,
    params: dict[str, Any] | None = None,
    registered_name: str = "emporium-recommender",
    metric: str = "ndcg@10",
    margin: float | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Train on the gold interactions, log to MLflow, register, and run the promotion gate.

    The evaluation split is temporal: the latest 20% of the interactions are held out. The
    model registered is then fitted on every interaction, the newest included.
    ``model`` and ``margin`` default to ``settings.training``; the ranker is tuned on a
    validation split of the training part and takes the catalog's prices and categories.
    When the champion is this model, trained by this commit on these same interactions (and
    catalog), nothing is trained (``skipped``) unless ``force``.
    """
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    from commerce.adapters.db import error_line
    from emporium.bench.recs import splits
    from emporium.settings import REPO_ROOT
    from emporium.training_inputs import (
        catalog_item_features,
        champion_to_keep,
        configure_mlflow,
        gold_interactions,
        recent_ranker,
    )
    from models.errors import ModelError
    from models.tracking.fingerprint import fingerprint, git_commit
    from models.training import RANKER, train_and_register, tuned_ranker

    model = model or settings.training.model
    margin = settings.training.margin if margin is None else margin
    interactions = gold_interactions(settings)
    if interactions.empty or interactions["timestamp"].nunique() < 2:
        raise StepError(
            f"gold interactions hold {len(interactions)} row(s) at "
            f"{interactions['timestamp'].nunique()} distinct time(s): a temporal split needs "
            "events at two times at least (ingest more events and run `emporium batch`)"
        )
    train_df, test_df, valid_split = splits(interactions, "temporal", None)
    for part, rows in (("train", train_df), ("test", test_df)):
        if rows.empty:  # checked before MLflow is touched: a failed step leaves no store
            raise StepError(f"the temporal split of the gold interactions leaves {part} empty")
    unfitted, items = None, None
    tags = {"fitted_on_fingerprint": fingerprint(interactions)}  # all: the registered fit's
    if model == RANKER and params:
        raise StepError("the ranker takes no params: they are chosen on validation")
    try:
        if model == RANKER:
            items = catalog_item_features(settings)
            tags["item_features"] = "none" if items is None else fingerprint(items)
    except SQLAlchemyError as e:
        raise StepError(f"reading the catalog failed: {error_line(e)}") from e
    commit = git_commit(REPO_ROOT)
    kept = None if force else champion_to_keep(
        settings, registered_name, model_name=model, train=train_df, test=test_df,
        params=None if model == RANKER else params or {}, git_commit=commit, tags=tags,
    )  # fmt: skip
    if kept is not None:
        return {"model": model, "version": kept, "promoted": False, "skipped": True,
                "reason": f"the champion v{kept} is {model} trained by this commit on these "
                          "same interactions: nothing to train (`emporium train --force` "
                          "trains anyway)"}  # fmt: skip
    try:
        if model == RANKER:
            reused = recent_ranker(settings, registered_name, items, valid_split)
            unfitted, params = reused or tuned_ranker(
                train_df, valid_split, random_inner_split=False, item_features=items
            )
    except ModelError as e:  # a family whose fit failed, a validation part left empty
        raise StepError(f"tuning the ranker failed: {e}") from e
    configure_mlflow(settings)
    try:
        outcome = train_and_register(model, params or {}, train_df, test_df, registered_name,
                                     commit, metric, margin, model=unfitted, tags=tags,
                                     deploy_on=interactions)  # fmt: skip
    except (ModelError, MlflowException) as e:  # a fit that failed, a registry that refused
        raise StepError(f"training {model} failed: {e}") from e
    decision = outcome.decision
    result = {"model": model, "version": outcome.version, "promoted": decision.promoted,
              "reason": decision.reason, metric: outcome.metrics.get(metric)}  # fmt: skip
    if model == RANKER:  # the version whose tuned settings were refitted, or None: tuned now
        result["settings_from"] = (params or {}).get("settings_from")
    return result


def reindex(settings: Settings) -> dict[str, Any]:
    """Rebuild the search index from the catalog of record and swap the alias to it."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from commerce.adapters.db import error_line
    from commerce.adapters.search.errors import SearchError
    from emporium.engines import sqlite_file
    from emporium.search_indexing import reindex_catalog

    file = sqlite_file(settings.database_url)
    if file is not None and not file.is_file():  # and leave no empty database file behind
        raise StepError(f"no database at {file}: run `emporium db upgrade` and load a catalog")
    try:
        report = reindex_catalog(settings)
    except (OperationalError, ProgrammingError) as e:
        raise StepError(
            f"reading the catalog failed: {error_line(e)} (run `emporium db upgrade` first?)"
        ) from e
    except SearchError as e:  # an unknown or unreachable engine, a refused index
        raise StepError(f"search: {e} (EMPORIUM_SEARCH__URL)") from e
    return {"index": report.index, "previous": report.previous, "documents": report.documents}
