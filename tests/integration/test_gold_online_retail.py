"""Gold tables from a replay of Online Retail, checked against an independent pandas computation.

The replay goes through the real path: events → on-disk log → streaming ingest → bronze →
silver → gold. The subset is replayed twice, so a purchase counted twice would show.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from models.datasets import online_retail as ds
from pipelines.events.disklog import DiskLogEventBus
from pipelines.jobs.batch import BatchSettings, run_batch
from pipelines.jobs.ingest import IngestSettings, run_ingest
from pipelines.jobs.lake import LakePaths
from pipelines.replay import online_retail
from pipelines.replay.runner import replay
from pipelines.spark import build_spark
from pipelines.transforms.gold import InteractionWeights

pytestmark = [pytest.mark.spark, pytest.mark.slow]
LIMIT = 4000  # events: products and the first ~2,000 invoices (Dec 2010 - Jan 2011)
AS_OF = datetime(2011, 2, 1, tzinfo=UTC)
WEIGHTS = InteractionWeights(purchase=5.0, half_life_days=14.0)
MAX_BASKET = 200


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    yield build_spark("local[2]", "emporium-it-ingest", "1g", 2, kafka=True)


@pytest.fixture(scope="module")
def lake(spark: SparkSession, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("retail")
    bus = DiskLogEventBus(root / "events")
    for _ in range(2):  # the same history twice: nothing may be counted twice
        replay(online_retail.events(data_dir), bus, limit=LIMIT, batch_size=1000)
    settings = IngestSettings(
        f"log://{root / 'events'}", ("clickstream", "commerce"), root / "lake"
    )
    run_ingest(spark, settings)
    run_batch(
        spark, BatchSettings(root / "lake", weights=WEIGHTS, as_of=AS_OF, max_basket=MAX_BASKET)
    )
    return root / "lake"


@pytest.fixture(scope="module")
def lines(data_dir: Path) -> pd.DataFrame:
    """The clean lines of the replayed invoices, computed with pandas alone."""
    orders = [e.payload["order_id"] for _, e in _first_events(data_dir) if e.type == "OrderPlaced"]
    clean = ds.clean_online_retail(ds.load_online_retail(data_dir))
    return clean[clean[ds.INVOICE_COL].isin(orders)]


def _first_events(data_dir: Path) -> list:  # type: ignore[type-arg]
    stream = online_retail.events(data_dir)
    return [next(stream) for _ in range(LIMIT)]


def _gold(spark: SparkSession, lake: Path, table: str) -> pd.DataFrame:
    return spark.read.parquet(str(LakePaths(lake).gold(table))).toPandas()


def test_interactions_match_pandas(spark: SparkSession, lake: Path, lines: pd.DataFrame) -> None:
    known = lines.dropna(subset=[ds.CUSTOMER_COL])
    known = known.assign(order_ts=known.groupby(ds.INVOICE_COL)[ds.TS_COL].transform("min"))
    per_order = known.groupby([ds.CUSTOMER_COL, ds.SKU_COL, ds.INVOICE_COL])["order_ts"].first()
    age = (pd.Timestamp(AS_OF) - per_order).dt.total_seconds() / 86400
    weight = (5.0 * 0.5 ** (age / 14.0)).groupby(level=[0, 1]).sum()
    count = per_order.groupby(level=[0, 1]).size()
    got = _gold(spark, lake, "interactions").set_index(["user_id", "product_id"]).sort_index()
    assert len(got) == len(count)
    assert (got["n_purchase"] == count.reindex(got.index)).all()
    assert got["weight"].to_numpy() == pytest.approx(weight.reindex(got.index).to_numpy())


def test_each_purchase_line_counted_once(
    spark: SparkSession, lake: Path, lines: pd.DataFrame
) -> None:
    purchases = spark.read.parquet(str(LakePaths(lake).silver("purchases"))).toPandas()
    expected = lines.groupby([ds.INVOICE_COL, ds.SKU_COL])[ds.QTY_COL].sum()
    assert len(purchases) == len(expected)
    assert purchases["quantity"].sum() == expected.sum()
    assert purchases["order_id"].nunique() == lines[ds.INVOICE_COL].nunique()


def test_user_rfm_match_pandas(spark: SparkSession, lake: Path, lines: pd.DataFrame) -> None:
    known = lines.dropna(subset=[ds.CUSTOMER_COL]).assign(
        amount=lambda d: d[ds.QTY_COL] * d[ds.PRICE_COL]
    )
    by_user = known.groupby(ds.CUSTOMER_COL)
    users = _gold(spark, lake, "user_features").dropna(subset=["user_id"]).set_index("user_id")
    assert set(users.index) == set(by_user.groups)
    assert (users["frequency"] == by_user[ds.INVOICE_COL].nunique().reindex(users.index)).all()
    assert users["monetary"].to_numpy() == pytest.approx(
        by_user["amount"].sum().reindex(users.index).to_numpy()
    )


def test_co_occurrence_of_known_pairs(spark: SparkSession, lake: Path, lines: pd.DataFrame) -> None:
    baskets = lines[[ds.INVOICE_COL, ds.SKU_COL]].drop_duplicates()
    sizes = baskets.groupby(ds.INVOICE_COL)[ds.SKU_COL].transform("size")
    baskets = baskets[sizes <= MAX_BASKET]
    pairs = baskets.merge(baskets, on=ds.INVOICE_COL)
    pairs = pairs[pairs[f"{ds.SKU_COL}_x"] != pairs[f"{ds.SKU_COL}_y"]]
    expected = pairs.groupby([f"{ds.SKU_COL}_x", f"{ds.SKU_COL}_y"]).size()
    got = _gold(spark, lake, "co_occurrence").set_index(["product_id", "other_product_id"])
    assert len(got) == len(expected)
    top = expected.sort_values(ascending=False).head(5)
    for pair, n in top.items():
        assert got.loc[pair, "n_orders"] == n
    assert top.iloc[0] >= 50  # a real "bought together" pair, not noise


def test_a_write_that_fails_midway_leaves_the_previous_table(
    spark: SparkSession, lake: Path
) -> None:
    """Tables were overwritten in place: a run killed midway left an empty directory."""
    from pyspark.sql import functions as F

    from pipelines.jobs.batch import _write, restore

    path = LakePaths(lake).gold("interactions")
    before = spark.read.parquet(str(path)).count()
    broken = spark.read.parquet(str(path)).withColumn(
        "boom", F.when(F.col("weight") > 0, F.raise_error("killed midway"))
    )
    with pytest.raises(Exception, match="killed midway"):
        _write(broken, path)
    assert spark.read.parquet(str(path)).count() == before
    path.rename(path.with_name(f".{path.name}.old"))  # as if killed between the two renames
    restore(path)
    assert spark.read.parquet(str(path)).count() == before


def test_an_as_of_before_every_event_is_refused_and_gold_is_kept(
    spark: SparkSession, lake: Path
) -> None:
    """It used to replace every gold table with an empty one and exit 0."""
    from pipelines.jobs.batch import run_gold

    path = LakePaths(lake).gold("interactions")
    before = spark.read.parquet(str(path)).count()
    early = BatchSettings(lake, weights=WEIGHTS, as_of=datetime(1990, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="before the first event"):
        run_gold(spark, early)
    assert before > 0 and spark.read.parquet(str(path)).count() == before
