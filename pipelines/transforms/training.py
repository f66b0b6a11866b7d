"""The ranking training set: labels with features from strictly earlier events only.

Features are joined "as of" each label's time with running totals, not by joining every
label to every earlier event, so a wholesale customer's thousands of lines stay cheap: events
and labels are put in one time-ordered stream per key, labels sorted before events at the same
instant, and each label takes the running totals of the last event before it.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

DAY_S = 86400.0
LABEL_KEYS = ["user_id", "product_id", "label_ts"]


def purchase_labels(
    purchases: DataFrame, negatives_per_positive: int = 4, seed: int = 7
) -> DataFrame:
    """Labels (user_id, product_id, label_ts, label): bought items 1, sampled other items 0.

    Negatives of an order are items drawn by a seeded hash from every item ever bought
    (draws that hit the order's own basket are dropped), so the set is reproducible and costs
    O(positives × negatives_per_positive), never orders × items.
    """
    pos = (
        purchases.where(F.col("user_id").isNotNull())
        .select("order_id", "user_id", "product_id", F.col("ts").alias("label_ts"))
        .distinct()
    )
    # Numbered in the driver: a window ordered over all items would run in one partition,
    # again for every use of the plan, and Spark warns so at each. The items a shop sold fit
    # in memory, as they do in every model trained on them.
    items = purchases.select("product_id").distinct().orderBy("product_id").collect()
    numbered = purchases.sparkSession.createDataFrame(
        [(i, row.product_id) for i, row in enumerate(items)], "_i long, product_id string"
    )
    n_items = F.lit(len(items))
    draws = pos.withColumn("_j", F.explode(F.sequence(F.lit(1), F.lit(negatives_per_positive))))
    draws = draws.withColumn(
        "_i", F.pmod(F.xxhash64("order_id", "product_id", "_j", F.lit(seed)), n_items)
    ).select("order_id", "user_id", "label_ts", "_i")
    neg = draws.join(F.broadcast(numbered), "_i").drop("_i")
    neg = neg.join(pos.select("order_id", "product_id"), ["order_id", "product_id"], "left_anti")
    labelled = pos.withColumn("label", F.lit(1)).unionByName(
        neg.distinct().withColumn("label", F.lit(0))
    )
    return labelled.select("order_id", *LABEL_KEYS, "label")


def _running(events: DataFrame, keys: list[str], totals: dict[str, Column]) -> DataFrame:
    # Running totals up to and including each instant (ties at one instant all included).
    w = (
        Window.partitionBy(*keys)
        .orderBy(F.unix_micros("ts"))
        .rangeBetween(Window.unboundedPreceding, Window.currentRow)
    )
    return events.select(*keys, "ts", *[agg.over(w).alias(name) for name, agg in totals.items()])


def as_of(labels: DataFrame, keys: list[str], running: DataFrame, columns: list[str]) -> DataFrame:
    """For each distinct (keys, label_ts) of ``labels``: ``columns`` of the last ``running``
    row strictly before ``label_ts`` (null when there is none)."""
    lab = labels.select(*keys, F.col("label_ts").alias("ts")).distinct()
    lab = lab.select("*", F.lit(0).alias("_kind"), *[F.lit(None).alias(c) for c in columns])
    ev = running.select(*keys, "ts", F.lit(1).alias("_kind"), *columns)
    w = (
        Window.partitionBy(*keys)
        .orderBy("ts", "_kind")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    merged = lab.unionByName(ev).select(
        *keys, "ts", "_kind", *[F.last(c, ignorenulls=True).over(w).alias(c) for c in columns]
    )
    return merged.where("_kind = 0").drop("_kind").withColumnRenamed("ts", "label_ts")


def ranking_training_set(labels: DataFrame, purchases: DataFrame, signals: DataFrame) -> DataFrame:
    """Join features to labels using only events strictly before each label's time.

    Features: the user's orders, spend and views so far and days since their last order; the
    user's earlier purchases and views of this item; the item's orders and buyers so far.
    """
    orders = purchases.groupBy("user_id", "order_id", "ts").agg(F.sum("amount").alias("amount"))
    user = _running(
        orders,
        ["user_id"],
        {"user_orders": F.count("*"), "user_spend": F.sum("amount"), "_last": F.max("ts")},
    )
    views = signals.where(F.col("signal") == "view")
    user_views = _running(views, ["user_id"], {"user_views": F.count("*")})
    pair = _running(signals, ["user_id", "product_id"], _counts("user_item"))
    item = _running(_item_orders(purchases), ["product_id"], {
        "item_orders": F.count("*"), "item_buyers": F.sum("_first"),
    })  # fmt: skip
    specs = [
        (["user_id"], user, ["user_orders", "user_spend", "_last"]),
        (["user_id"], user_views, ["user_views"]),
        (["user_id", "product_id"], pair, ["user_item_purchases", "user_item_views"]),
        (["product_id"], item, ["item_orders", "item_buyers"]),
    ]
    out = labels
    for keys, running, columns in specs:
        out = out.join(as_of(labels, keys, running, columns), [*keys, "label_ts"], "left")
    since = (F.col("label_ts").cast("double") - F.col("_last").cast("double")) / DAY_S
    counts = ["user_orders", "user_spend", "user_views", "user_item_purchases",
              "user_item_views", "item_orders", "item_buyers"]  # fmt: skip
    return out.withColumn("days_since_last_order", since).drop("_last").fillna(0, counts)


def _counts(prefix: str) -> dict[str, Column]:
    return {
        f"{prefix}_purchases": F.sum(F.when(F.col("signal") == "purchase", 1).otherwise(0)),
        f"{prefix}_views": F.sum(F.when(F.col("signal") == "view", 1).otherwise(0)),
    }


def _item_orders(purchases: DataFrame) -> DataFrame:
    per_order = purchases.select("product_id", "order_id", "user_id", "ts").distinct()
    first = Window.partitionBy("product_id", "user_id").orderBy("ts", "order_id")
    flag = F.when(F.col("user_id").isNotNull() & (F.row_number().over(first) == 1), 1).otherwise(0)
    return per_order.withColumn("_first", flag)
