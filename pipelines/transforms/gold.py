"""Silver → gold: interactions, popularity, co-occurrence, user and item features."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

# Which event types feed which interaction signal. Purchases come from order lines instead.
SIGNAL_TYPES: dict[str, tuple[str, ...]] = {
    "view": ("product_view", "recommendation_click"),
    "cart": ("add_to_cart",),
    "wishlist": ("add_to_wishlist",),
    "rating": ("ReviewSubmitted", "ProductRated"),
}
#: Withdraws the user's rating of the product (commerce's ``ReviewDeleted``).
RATING_DELETED = "ReviewDeleted"
CATALOG_TYPES: tuple[str, ...] = ("ProductCreated", "ProductUpdated")
SIGNALS: tuple[str, ...] = ("view", "cart", "wishlist", "purchase", "rating")


@dataclass(frozen=True)
class InteractionWeights:
    """Weight of one signal of each kind; a rating counts ``rating * rating_weight / 5``."""

    view: float = 1.0
    cart: float = 3.0
    wishlist: float = 2.0
    purchase: float = 5.0
    rating: float = 4.0
    half_life_days: float | None = 30.0

    def of(self, signal: str) -> float:
        return float(getattr(self, signal))


def current_ratings(events: DataFrame) -> DataFrame:
    """Each user's rating of each product as it stands after ``events``.

    A changed rating replaces the old one and a deleted one counts no more: only the latest
    rating event of a (user, product) is kept, and none when a ``ReviewDeleted`` came after it.
    """
    rated = events.where(
        F.col("type").isin(*SIGNAL_TYPES["rating"], RATING_DELETED)
        & F.col("user_id").isNotNull()
        & F.col("product_id").isNotNull()
    )
    w = Window.partitionBy("user_id", "product_id").orderBy(
        F.col("ts").desc(), F.col("event_id").desc()
    )
    latest = rated.withColumn("_n", F.row_number().over(w)).where("_n = 1").drop("_n")
    return latest.where(F.col("type") != RATING_DELETED)


def interaction_signals(
    events: DataFrame, purchases: DataFrame, anonymous: bool = False
) -> DataFrame:
    """(user_id, product_id, ts, signal, value): a row per view, cart, wishlist, rating, line.

    Only a known user's signals count, unless ``anonymous``: per-item counts (popularity, item
    features) take visitors' views and guests' orders too, with a null ``user_id``. Ratings
    are the users' current ones (``current_ratings``) after the last of ``events``, so pass
    the events up to the feature time.
    """
    known = F.lit(True) if anonymous else F.col("user_id").isNotNull()
    unrated = events.where(~F.col("type").isin(*SIGNAL_TYPES["rating"], RATING_DELETED))
    events = unrated.unionByName(current_ratings(events))
    kind = F.lit(None).cast("string")
    for signal, types in SIGNAL_TYPES.items():
        kind = F.when(F.col("type").isin(*types), F.lit(signal)).otherwise(kind)
    rating = F.get_json_object("payload", "$.rating").cast("double")
    value = F.when(F.col("_signal") == "rating", rating).otherwise(F.lit(1.0))
    clicks = (
        events.withColumn("_signal", kind)
        .where(F.col("_signal").isNotNull() & F.col("product_id").isNotNull() & known)
        .select(
            "user_id", "product_id", "ts", F.col("_signal").alias("signal"), value.alias("value")
        )
        .where(F.col("value").isNotNull())
    )
    bought = purchases.where(known).select(
        "user_id", "product_id", "ts", F.lit("purchase").alias("signal"), F.lit(1.0).alias("value")
    )
    return clicks.unionByName(bought)


def _decay(as_of: datetime, half_life_days: float | None) -> Column:
    if half_life_days is None:
        return F.lit(1.0)
    age_days = (
        F.lit(as_of).cast("timestamp").cast("double") - F.col("ts").cast("double")
    ) / 86400.0
    return F.pow(F.lit(0.5), F.greatest(age_days, F.lit(0.0)) / half_life_days)


def interactions(signals: DataFrame, weights: InteractionWeights, as_of: datetime) -> DataFrame:
    """User–item table: decayed weighted sum of signals, plus plain counts per signal.

    ``weight = Σ w[signal] · value · 0.5 ** (age_days / half_life_days)`` with ages at ``as_of``;
    signals after ``as_of`` are ignored. A rating's value is ``rating / 5``.
    """
    w = F.lit(0.0)
    for signal in SIGNALS:
        w = F.when(F.col("signal") == signal, F.lit(weights.of(signal))).otherwise(w)
    value = F.when(F.col("signal") == "rating", F.col("value") / 5.0).otherwise(F.col("value"))
    scored = signals.where(F.col("ts") <= F.lit(as_of)).withColumn(
        "_w", w * value * _decay(as_of, weights.half_life_days)
    )
    counts = [F.sum(F.when(F.col("signal") == s, 1).otherwise(0)).alias(f"n_{s}") for s in SIGNALS]
    return scored.groupBy("user_id", "product_id").agg(
        F.sum("_w").alias("weight"), *counts, F.max("ts").alias("last_ts")
    )


def item_popularity(signals: DataFrame, window: str = "7 days", slide: str = "1 day") -> DataFrame:
    """Per item and sliding time window: views, carts, purchases and distinct users."""
    win = F.window("ts", window, slide)
    return (
        signals.groupBy("product_id", win.alias("w"))
        .agg(
            *[
                F.sum(F.when(F.col("signal") == s, 1).otherwise(0)).alias(f"n_{s}")
                for s in ("view", "cart", "purchase")
            ],
            F.countDistinct("user_id").alias("n_users"),
        )
        .select(
            "product_id",
            F.col("w.start").alias("window_start"),
            F.col("w.end").alias("window_end"),
            "n_view",
            "n_cart",
            "n_purchase",
            "n_users",
        )
    )


def co_occurrence(purchases: DataFrame, min_orders: int = 1, max_basket: int = 200) -> DataFrame:
    """Item pairs bought in the same order ("bought together"), both directions.

    Columns: product_id, other_product_id, n_orders (orders with both), confidence
    (``n_orders / orders with product_id``). Baskets above ``max_basket`` distinct items are
    skipped: wholesale mega-orders would dominate and the pair count grows quadratically.
    """
    baskets = purchases.select("order_id", "product_id").distinct()
    sizes = baskets.groupBy("order_id").agg(F.count("*").alias("_size"))
    kept = baskets.join(sizes.where(F.col("_size") <= max_basket), "order_id").drop("_size")
    a, b = kept.alias("a"), kept.alias("b")
    pairs = a.join(
        b,
        (F.col("a.order_id") == F.col("b.order_id"))
        & (F.col("a.product_id") != F.col("b.product_id")),
    )
    counts = pairs.groupBy(
        F.col("a.product_id").alias("product_id"), F.col("b.product_id").alias("other_product_id")
    ).agg(F.count("*").alias("n_orders"))
    support = kept.groupBy("product_id").agg(F.count("*").alias("_item_orders"))
    return (
        counts.where(F.col("n_orders") >= min_orders)
        .join(support, "product_id")
        .withColumn("confidence", F.col("n_orders") / F.col("_item_orders"))
        .drop("_item_orders")
    )


def user_features(purchases: DataFrame, signals: DataFrame, as_of: datetime) -> DataFrame:
    """Recency (days since last order), frequency (orders), monetary (spend), activity counts."""
    before = purchases.where(F.col("ts") <= F.lit(as_of))
    rfm = (
        before.where(F.col("user_id").isNotNull())
        .groupBy("user_id")
        .agg(
            F.max("ts").alias("last_order_ts"),
            F.countDistinct("order_id").alias("frequency"),
            F.sum("amount").alias("monetary"),
        )
    )
    rfm = rfm.withColumn(
        "recency_days",
        (F.lit(as_of).cast("timestamp").cast("double") - F.col("last_order_ts").cast("double"))
        / 86400.0,
    )
    activity = (
        signals.where(F.col("ts") <= F.lit(as_of))
        .groupBy("user_id")
        .agg(
            F.sum(F.when(F.col("signal") == "view", 1).otherwise(0)).alias("n_views"),
            F.sum(F.when(F.col("signal") == "cart", 1).otherwise(0)).alias("n_carts"),
            F.min("ts").alias("first_seen_ts"),
        )
    )
    return activity.join(rfm, "user_id", "full").fillna(
        0, ["frequency", "monetary", "n_views", "n_carts"]
    )
