"""Item features and the point-in-time-correct ranking training set."""

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


def purchase_labels(
    purchases: DataFrame, negatives_per_positive: int = 4, seed: int = 7
) -> DataFrame:
    """Labels (user_id, product_id, label_ts, label): bought items are 1, sampled others 0.

    Negatives for an order are items bought by anyone at any time but not in that order,
    chosen by a seeded hash, so the set is reproducible.
    """
    pos = (
        purchases.where(F.col("user_id").isNotNull())
        .select("order_id", "user_id", "product_id", F.col("ts").alias("label_ts"))
        .distinct()
    )
    items = purchases.select("product_id").distinct()
    orders = pos.select("order_id", "user_id", "label_ts").distinct()
    cand = orders.crossJoin(items.hint("broadcast")).join(
        pos.select("order_id", "product_id"), ["order_id", "product_id"], "left_anti"
    )
    rank = Window.partitionBy("order_id").orderBy(F.xxhash64("order_id", "product_id", F.lit(seed)))
    n_pos = pos.groupBy("order_id").agg(F.count("*").alias("_k"))
    neg = cand.withColumn("_r", F.row_number().over(rank)).join(n_pos, "order_id")
    neg = neg.where(F.col("_r") <= F.col("_k") * negatives_per_positive).drop("_r", "_k")
    return pos.withColumn("label", F.lit(1)).unionByName(neg.withColumn("label", F.lit(0)))


def ranking_training_set(labels: DataFrame, purchases: DataFrame, signals: DataFrame) -> DataFrame:
    """Join features to labels using only events strictly before each label's time.

    Features: the user's orders, spend and views so far; the user's earlier purchases and
    views of this item; the item's orders and buyers so far; days since the user's last order.
    """
    keys = ["user_id", "product_id", "label_ts"]
    lab = labels.select(*keys).distinct()
    u = _user_before(lab, purchases, signals)
    ui = _user_item_before(lab, signals)
    it = _item_before(lab, purchases)
    out = labels.join(u, keys, "left").join(ui, keys, "left").join(it, keys, "left")
    counts = [
        "user_orders",
        "user_spend",
        "user_views",
        "user_item_purchases",
        "user_item_views",
        "item_orders",
        "item_buyers",
    ]
    return out.fillna(0, counts)


def _user_before(lab: DataFrame, purchases: DataFrame, signals: DataFrame) -> DataFrame:
    keys = ["user_id", "product_id", "label_ts"]
    p = purchases.select("user_id", "order_id", "amount", F.col("ts").alias("_ts"))
    orders = (
        lab.join(p, "user_id")
        .where(F.col("_ts") < F.col("label_ts"))
        .groupBy(*keys)
        .agg(
            F.countDistinct("order_id").alias("user_orders"),
            F.sum("amount").alias("user_spend"),
            F.max("_ts").alias("_last"),
        )
        .withColumn(
            "days_since_last_order",
            (F.col("label_ts").cast("double") - F.col("_last").cast("double")) / DAY_S,
        )
        .drop("_last")
    )
    v = signals.where(F.col("signal") == "view").select("user_id", F.col("ts").alias("_ts"))
    views = (
        lab.join(v, "user_id")
        .where(F.col("_ts") < F.col("label_ts"))
        .groupBy(*keys)
        .agg(F.count("*").alias("user_views"))
    )
    return orders.join(views, keys, "full")


def _user_item_before(lab: DataFrame, signals: DataFrame) -> DataFrame:
    keys = ["user_id", "product_id", "label_ts"]
    s = signals.select("user_id", "product_id", "signal", F.col("ts").alias("_ts"))
    return (
        lab.join(s, ["user_id", "product_id"])
        .where(F.col("_ts") < F.col("label_ts"))
        .groupBy(*keys)
        .agg(
            F.sum(F.when(F.col("signal") == "purchase", 1).otherwise(0)).alias(
                "user_item_purchases"
            ),
            F.sum(F.when(F.col("signal") == "view", 1).otherwise(0)).alias("user_item_views"),
        )
    )


def _item_before(lab: DataFrame, purchases: DataFrame) -> DataFrame:
    keys = ["user_id", "product_id", "label_ts"]
    p = purchases.select(
        "product_id", "order_id", F.col("user_id").alias("_buyer"), F.col("ts").alias("_ts")
    )
    return (
        lab.join(p, "product_id")
        .where(F.col("_ts") < F.col("label_ts"))
        .groupBy(*keys)
        .agg(
            F.countDistinct("order_id").alias("item_orders"),
            F.countDistinct("_buyer").alias("item_buyers"),
        )
    )
