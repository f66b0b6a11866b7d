"""Item features: catalog values, popularity, age and rating."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from pipelines.transforms.gold import CATALOG_TYPES

DAY_S = 86400.0


def _days_between(later: object, earlier: str) -> Column:
    return (F.lit(later).cast("timestamp").cast("double") - F.col(earlier).cast("double")) / DAY_S


def _field(name: str, *aliases: str) -> Column:
    # ProductUpdated carries its new values under ``changes``.
    paths = [f"$.{n}" for n in (name, *aliases)] + [f"$.changes.{n}" for n in (name, *aliases)]
    return F.coalesce(*[F.get_json_object("payload", path) for path in paths])


def catalog(events: DataFrame) -> DataFrame:
    """Latest known catalog values per product: name, price, category, brand, listing time."""
    rows = events.where(F.col("type").isin(*CATALOG_TYPES) & F.col("product_id").isNotNull())
    fields = {
        "name": _field("name"),
        "price": _field("price").cast("double"),
        "category": _field("category", "category_path"),
        "brand": _field("brand"),
    }
    w = (
        Window.partitionBy("product_id")
        .orderBy("ts", "event_id")
        .rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    )
    latest = [F.last(col, ignorenulls=True).over(w).alias(name) for name, col in fields.items()]
    listed = F.min("ts").over(Window.partitionBy("product_id")).alias("listed_ts")
    return rows.select("product_id", *latest, listed).distinct()


def item_features(
    events: DataFrame, purchases: DataFrame, signals: DataFrame, as_of: datetime
) -> DataFrame:
    """Price, category, brand, popularity, age (days since first seen) and rating per item.

    Price is the catalog price, else the median price paid. Only events up to ``as_of`` count.
    """
    ev = events.where(F.col("ts") <= F.lit(as_of))
    sig = signals.where(F.col("ts") <= F.lit(as_of))
    bought = (
        purchases.where(F.col("ts") <= F.lit(as_of))
        .groupBy("product_id")
        .agg(
            F.countDistinct("order_id").alias("n_orders"),
            F.countDistinct("user_id").alias("n_buyers"),
            F.percentile_approx("unit_price", 0.5).alias("_paid_price"),
            F.min("ts").alias("_first_order_ts"),
        )
    )
    activity = sig.groupBy("product_id").agg(
        F.sum(F.when(F.col("signal") == "view", 1).otherwise(0)).alias("n_views"),
        F.sum(F.when(F.col("signal") == "cart", 1).otherwise(0)).alias("n_carts"),
        F.avg(F.when(F.col("signal") == "rating", F.col("value"))).alias("rating"),
        F.sum(F.when(F.col("signal") == "rating", 1).otherwise(0)).alias("n_ratings"),
        F.min("ts").alias("_first_signal_ts"),
    )
    items = catalog(ev).join(bought, "product_id", "full").join(activity, "product_id", "full")
    first_seen = F.least("listed_ts", "_first_order_ts", "_first_signal_ts")
    return (
        items.withColumn("price", F.coalesce("price", "_paid_price"))
        .withColumn("first_seen_ts", first_seen)
        .withColumn("age_days", _days_between(as_of, "first_seen_ts"))
        .fillna(0, ["n_orders", "n_buyers", "n_views", "n_carts", "n_ratings"])
        .drop("_paid_price", "_first_order_ts", "_first_signal_ts", "listed_ts")
    )
