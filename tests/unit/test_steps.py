"""The steps the DAGs and the CLI share refuse a state they cannot work on, before writing."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from emporium import steps
from emporium.settings import Settings
from emporium.training_inputs import catalog_item_features

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for var in ("DATABASE__URL", "SEARCH__URL", "MLFLOW__TRACKING_URI"):
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    return Settings()


def test_training_on_events_at_one_instant_says_why_and_creates_no_mlflow_store(
    settings: Settings,
) -> None:
    """A temporal split of one instant divided by zero, after the MLflow store was made."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    _gold_interactions(
        settings,
        pd.DataFrame(
            {"user_id": ["u1", "u2"], "product_id": ["a", "b"], "weight": 1.0, "last_ts": when}
        ),
    )
    with pytest.raises(steps.StepError, match="2 row\\(s\\) at 1 distinct time"):
        steps.train(settings)
    assert not (settings.state_path / "mlflow.db").exists()


def test_reindex_without_a_database_leaves_no_file(settings: Settings) -> None:
    with pytest.raises(steps.StepError, match="run `emporium db upgrade`"):
        steps.reindex(settings)
    assert not settings.state_path.exists()


def test_reindex_of_an_unmigrated_database_says_so(settings: Settings) -> None:
    settings.state_path.mkdir(parents=True)
    sqlite3.connect(settings.state_path / "emporium.db").close()
    with pytest.raises(steps.StepError, match="no such table: products"):
        steps.reindex(settings)


def test_reindex_into_an_engine_that_cannot_be_reached_says_which_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.state_path.mkdir(parents=True)
    sqlite3.connect(settings.state_path / "emporium.db").close()
    monkeypatch.setattr(settings.search, "url", "embedded://")  # was a silent in-memory index
    with pytest.raises(steps.StepError, match=r"names no index file.*EMPORIUM_SEARCH__URL"):
        steps.reindex(settings)


def test_a_fit_that_fails_in_training_is_a_step_error(settings: Settings) -> None:
    # two users, an item a day for eight days; the later items new to them
    _gold_interactions(settings, pd.DataFrame(_daily_rows(users=2)))
    with pytest.raises(steps.StepError, match="training bpr failed: BPR diverged"):
        steps.train(settings, model="bpr", params={"learning_rate": 1e30, "iterations": 5})


def test_a_model_other_than_the_ranker_reports_no_ranker_settings(settings: Settings) -> None:
    # as above, with more users: each test user has a new item to find
    _gold_interactions(settings, pd.DataFrame(_daily_rows(users=12)))
    outcome = steps.train(settings, model="popularity")
    assert outcome["model"] == "popularity" and outcome["version"] == "1"
    assert "settings_from" not in outcome  # it printed "settings_from: None" for every model


def test_the_ranker_step_is_tuned_on_validation_and_reads_the_catalog(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import Decimal

    from commerce.adapters.db import upgrade
    from commerce.domain.products import Product
    from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
    from emporium.engines import database_sessions

    rows = [  # two blocks of 12 products; each user buys within one block, a day at a time
        {"user_id": f"u{u}", "product_id": f"p{(u % 2) * 12 + (u + d) % 12}", "weight": 1.0,
         "last_ts": START + pd.Timedelta(days=d, hours=u)}
        for u in range(40) for d in range(8)
    ]  # fmt: skip
    _gold_interactions(settings, pd.DataFrame(rows))
    with pytest.raises(steps.StepError, match=r"no database at .*prices and categories"):
        steps.train(settings, model="ranker")
    assert not (settings.state_path / "mlflow.db").exists()
    upgrade(settings.database_url)
    # An empty catalog gave a text-typed price column, refused after every family was tuned.
    assert catalog_item_features(settings) is None
    with (
        database_sessions(settings.database_url) as sessions,
        SqlAlchemyUnitOfWork(sessions) as uow,
    ):
        for k in range(24):
            block = "Home/Kitchen Tools" if k < 12 else "Garden"
            uow.products.add(Product(sku=f"p{k}", name=f"P {k}", price=Decimal(k + 1),
                                     currency="EUR", category_path=block))  # fmt: skip
        uow.commit()
    features = catalog_item_features(settings)
    assert features.set_index("item_id").loc["p3", "category"] == "Home Home/Kitchen_Tools"
    assert features.set_index("item_id").loc["p20", "price"] == 21.0
    monkeypatch.setattr(settings.training, "model", "ranker")
    outcome = steps.train(settings)
    assert outcome["model"] == "ranker" and outcome["version"] == "1" and outcome["promoted"]
    assert outcome["settings_from"] is None  # tuned
    with pytest.raises(steps.StepError, match="the ranker takes no params"):
        steps.train(settings, params={"n_candidates": 5})

    # The next scheduled run refits the champion's settings instead of tuning them again...
    import models.training

    def no_tuning(*_: object, **__: object) -> None:
        raise AssertionError("tuned again")

    monkeypatch.setattr(models.training, "tuned_ranker", no_tuning)
    kept = steps.train(settings)  # the same interactions and catalog: nothing to learn
    assert kept["skipped"] and kept["version"] == "1"
    again = steps.train(settings, force=True)
    assert again["version"] == "2" and again["settings_from"] == "1"
    from mlflow import MlflowClient

    client = MlflowClient()
    logged = client.get_run(client.get_model_version("emporium-recommender", "2").run_id)
    first = client.get_run(client.get_model_version("emporium-recommender", "1").run_id)
    assert logged.data.params["tuned_at"] == first.data.params["tuned_at"]
    assert logged.data.params["source.ease"] == first.data.params["source.ease"]
    # ... until they are older than EMPORIUM_TRAINING__RETUNE_DAYS (0: always tune).
    week, later = pd.Timedelta(days=7), pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=8)
    assert models.training.reusable_ranker("emporium-recommender", week, now=later) is None
    monkeypatch.setattr(settings.training, "retune_days", 0.0)
    with pytest.raises(AssertionError, match="tuned again"):
        steps.train(settings, force=True)


def test_a_retrain_on_unchanged_data_keeps_the_champion_and_registers_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo` run twice, or a daily DAG run on a day without events, registered a copy
    of the champion each time (the gate then refused it)."""
    from mlflow import MlflowClient

    from models.tracking import fingerprint
    from models.tracking.promotion import force_promote, load_champion

    rows = _daily_rows(users=12)
    _gold_interactions(settings, pd.DataFrame(rows))
    monkeypatch.setattr(fingerprint, "git_commit", lambda _: "c0ffee")
    assert steps.train(settings, model="popularity")["version"] == "1"
    served = load_champion("emporium-recommender").unwrap_python_model().model
    assert len(served.train_history_) == len(rows)  # the newest, held out to evaluate, too
    kept = steps.train(settings, model="popularity")
    assert kept["skipped"] and not kept["promoted"] and kept["version"] == "1"
    assert "v1 is popularity" in kept["reason"] and "--force" in kept["reason"]
    versions = MlflowClient().search_model_versions("name='emporium-recommender'")
    assert [str(v.version) for v in versions] == ["1"]
    # Anything that differs trains: other settings, another model, other code, other data.
    assert (
        steps.train(settings, model="popularity", params={"half_life_days": 7.0})["version"] == "2"
    )
    assert steps.train(settings, model="ease")["version"] == "3"  # ties the champion: kept
    force_promote(MlflowClient(), "emporium-recommender", "3")  # `emporium models promote`
    assert steps.train(settings, model="ease").get("skipped")
    monkeypatch.setattr(fingerprint, "git_commit", lambda _: "unknown")  # outside a checkout
    assert steps.train(settings, model="ease")["version"] == "4"
    monkeypatch.setattr(fingerprint, "git_commit", lambda _: "c0ffee")
    rows.append({"user_id": "u0", "product_id": "i8", "weight": 1.0,
                 "last_ts": START + pd.Timedelta(hours=1)})  # fmt: skip
    (settings.lake_path / "gold" / "interactions" / "part-0.parquet").unlink()
    pd.DataFrame(rows).to_parquet(settings.lake_path / "gold" / "interactions" / "part-0.parquet")
    assert steps.train(settings, model="ease")["version"] == "5"
    assert steps.train(settings, model="ease", force=True)["version"] == "6"


def _daily_rows(users: int) -> list[dict[str, Any]]:
    """Gold rows: each user takes one of eight items a day for eight days, from their own
    starting item, so the last days' items are new to them."""
    return [
        {"user_id": f"u{u}", "product_id": f"i{(u + d) % 8}", "weight": 1.0,
         "last_ts": START + pd.Timedelta(days=d)}
        for u in range(users) for d in range(8)
    ]  # fmt: skip


def _gold_interactions(settings: Settings, frame: pd.DataFrame) -> None:
    path = settings.lake_path / "gold" / "interactions"
    path.mkdir(parents=True)
    frame.to_parquet(path / "part-0.parquet")


def test_batch_looks_for_bots_on_the_clickstream_topic_the_settings_name(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.jobs import batch as job

    seen: list[job.BatchSettings] = []
    monkeypatch.setattr(settings.events, "clickstream_topic", "shop-clicks")
    monkeypatch.setattr(steps, "spark_session", lambda *_: contextlib.nullcontext())
    monkeypatch.setattr(job, "run_batch", lambda _, job_settings: seen.append(job_settings) or {})
    bronze = settings.lake_path / "bronze" / "events" / "date=2026-01-01"
    bronze.mkdir(parents=True)
    (bronze / "part-0.parquet").touch()
    steps.batch(settings)
    assert [s.clickstream_topic for s in seen] == ["shop-clicks"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("variable", "uri", "message"),
    [
        ("EMPORIUM_MLFLOW__TRACKING_URI", "http://127.0.0.1:1",
         "error: MLflow at EMPORIUM_MLFLOW__TRACKING_URI=http://127.0.0.1:1: API request to "),
        ("EMPORIUM_MLFLOW__REGISTRY_URI", "postgresql+psycopg://u:secret@127.0.0.1:1/mlflow",
         "error: EMPORIUM_MLFLOW__REGISTRY_URI=postgresql+psycopg://u:***@127.0.0.1:1/mlflow: "
         "cannot connect: "),
    ],
)  # fmt: skip
def test_train_with_an_mlflow_store_that_cannot_be_reached_is_one_line_within_the_bound(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, variable: str, uri: str, message: str
) -> None:
    """`emporium train` let MLflow retry an unreachable tracking server for four minutes,
    then printed its traceback (a database store: 100 s of logged retries)."""
    import time

    from typer.testing import CliRunner

    from emporium.cli import app

    rows = _daily_rows(users=12)
    _gold_interactions(settings, pd.DataFrame(rows))
    monkeypatch.setenv(variable, uri)
    began = time.monotonic()
    result = CliRunner().invoke(app, ["train"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert time.monotonic() - began < 60


def test_train_reads_a_gold_table_a_batch_left_between_its_two_renames(
    settings: Settings,
) -> None:
    # Killed after moving the old table aside and before moving the new one in, a batch
    # leaves gold only at .interactions.old; train said "run ingest and batch" and stopped.
    from emporium.training_inputs import gold_interactions

    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"user_id": "u1", "product_id": p, "weight": 1.0, "last_ts": stamp} for p in "ab"]
    _gold_interactions(settings, pd.DataFrame(rows))
    table = settings.lake_path / "gold" / "interactions"
    table.rename(table.with_name(".interactions.old"))
    assert sorted(gold_interactions(settings)["item_id"]) == ["a", "b"]
    assert not table.exists()  # left for the next batch to put back


@pytest.mark.parametrize("damage", ["no files", "not parquet", "other columns"])
def test_train_over_a_damaged_gold_table_says_to_run_batch_again(
    settings: Settings, damage: str
) -> None:
    """A gold table without its files (a copy cut short), with a file that is not Parquet or
    without the columns train reads was a pyarrow traceback."""
    from typer.testing import CliRunner

    from emporium.cli import app

    path = settings.lake_path / "gold" / "interactions"
    path.mkdir(parents=True)
    if damage == "not parquet":
        (path / "part-0.parquet").write_text("garbage")
    elif damage == "other columns":
        pd.DataFrame({"user": ["u1"], "item": ["a"]}).to_parquet(path / "part-0.parquet")
    result = CliRunner().invoke(app, ["train"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: the gold interactions at {path} cannot be read")
    assert result.stderr.rstrip().endswith("run `emporium batch` again")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (settings.state_path / "mlflow.db").exists()


@pytest.mark.parametrize("step", [steps.ingest, steps.batch, steps.compact])
def test_a_lake_copied_from_elsewhere_is_refused_before_spark_starts(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, step: Any
) -> None:
    def no_spark(*_: object) -> None:
        raise AssertionError("Spark started")

    monkeypatch.setattr(steps, "spark_session", no_spark)
    bronze = settings.lake_path / "bronze" / "events"
    (bronze / "_spark_metadata").mkdir(parents=True)
    (bronze / "date=2026-01-01").mkdir()
    (bronze / "date=2026-01-01" / "part-0.parquet").touch()
    (bronze / "_location").write_text("/srv/old-place/var/lake/bronze/events\n")
    with pytest.raises(ValueError, match="was written at /srv/old-place/var/lake/bronze/events"):
        step(settings)
