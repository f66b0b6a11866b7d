"""Bronze → silver: one row per event (de-duplicated), bots filtered, 30-minute sessions."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from pipelines.schema import ORDER_LINES_SCHEMA

ORDER_PLACED = "OrderPlaced"
PAYMENT_CAPTURED = "PaymentCaptured"
ORDER_REFUNDED = "OrderRefunded"
#: Commerce's right-to-erasure event: the account named by its ``user_id`` was erased.
ACCOUNT_DELETED = "AccountDeleted"
BOT_AGENT_PATTERN = r"(?i)(bot|crawler|spider|slurp|headless|python-requests|curl/)"
CLICKSTREAM_TOPIC = "clickstream"


ID_COLUMNS = ("user_id", "session_id", "request_id", "product_id")


def blank_ids_as_null(events: DataFrame) -> DataFrame:
    """An empty or blank id names nobody: make it null, as ``Event.key()`` does, or every
    event carrying one would be the same user (or session, or product) downstream."""
    for name in ID_COLUMNS:
        events = events.withColumn(name, F.when(F.trim(name) != "", F.col(name)))
    return events


def dedupe_events(events: DataFrame) -> DataFrame:
    """Keep one row per ``event_id``: the first one ingested (a relay may publish twice)."""
    w = Window.partitionBy("event_id").orderBy(
        F.col("ingested_at").asc_nulls_last(), F.col("position").asc_nulls_last()
    )
    return events.withColumn("_n", F.row_number().over(w)).where("_n = 1").drop("_n")


def forget_erased(events: DataFrame, clickstream_topic: str = CLICKSTREAM_TOPIC) -> DataFrame:
    """Remove the user id of every erased account from all of its events.

    An account is erased when commerce published ``AccountDeleted`` for it (on any topic but
    the clickstream's: a client cannot erase someone else's history). Its events stay, as an
    anonymous visitor's (their ``session_id``, a storefront cookie, still groups a visit), so
    counts over everyone (popularity, bought-together) keep them, while nothing built per user
    (interactions, user features, training sets, the models trained on them) has them any
    more. Silver is rebuilt from bronze on every run, so an erasure reaches silver, gold and
    the next model trained on gold. Bronze loses them when compaction next rewrites its files
    (``pipelines.jobs.erasure``).
    """
    erased = erased_accounts(events, clickstream_topic).withColumnRenamed("user_id", "_erased")
    marked = events.join(F.broadcast(erased), events["user_id"] == erased["_erased"], "left")
    return marked.withColumn("user_id", F.when(F.col("_erased").isNull(), F.col("user_id"))).drop(
        "_erased"
    )


def erased_accounts(events: DataFrame, clickstream_topic: str = CLICKSTREAM_TOPIC) -> DataFrame:
    """The user ids (one column, ``user_id``, each once) of the accounts commerce erased:
    ``AccountDeleted`` on any topic but the clickstream's, which clients write to."""
    return (
        events.where(
            (F.col("type") == ACCOUNT_DELETED)
            & (F.col("topic") != clickstream_topic)
            & F.col("user_id").isNotNull()
        )
        .select("user_id")
        .distinct()
    )


def actor(events: DataFrame) -> Column:
    """Who did it: the user, else the client's session, else the event alone."""
    return F.coalesce(events["user_id"], events["session_id"], events["event_id"])


def filter_bots(
    events: DataFrame,
    max_events_per_minute: int = 60,
    agent_pattern: str = BOT_AGENT_PATTERN,
    clickstream_topic: str = CLICKSTREAM_TOPIC,
) -> DataFrame:
    """Drop the clickstream of obvious bots; commerce events (real orders) are always kept.

    An actor is a bot when its user agent says so (``payload.user_agent``), or when it sent
    more than ``max_events_per_minute`` events within one clock minute to
    ``clickstream_topic`` (the topic the shop's settings name, which need not be the default).
    """
    click = F.col("topic") == clickstream_topic
    tagged = events.withColumn("_actor", actor(events))
    agent = F.get_json_object("payload", "$.user_agent")
    per_minute = (
        tagged.where(click)
        .groupBy("_actor", F.date_trunc("minute", "ts").alias("_minute"))
        .agg(
            F.count("*").alias("_n"),
            F.max(F.coalesce(agent.rlike(agent_pattern), F.lit(False))).alias("_ua"),
        )
    )
    bots = (
        per_minute.where((F.col("_n") > max_events_per_minute) | F.col("_ua"))
        .select("_actor")
        .distinct()
    )
    flagged = tagged.join(bots.withColumn("_bot", F.lit(True)), "_actor", "left")
    keep = ~click | F.col("_bot").isNull()
    return flagged.where(keep).drop("_actor", "_bot")


def sessionize(events: DataFrame, gap_minutes: int = 30) -> DataFrame:
    """Add ``session``: a new one starts after ``gap_minutes`` of inactivity of the same actor."""
    tagged = events.withColumn("_actor", actor(events))
    w = Window.partitionBy("_actor").orderBy("ts", "event_id")
    gap = F.col("ts").cast("long") - F.lag("ts").over(w).cast("long")
    starts = tagged.withColumn(
        "_new", F.when(gap.isNull() | (gap > gap_minutes * 60), 1).otherwise(0)
    )
    numbered = starts.withColumn(
        "_seq", F.sum("_new").over(w.rowsBetween(Window.unboundedPreceding, 0))
    )
    return numbered.withColumn(
        "session", F.concat_ws("#", "_actor", F.col("_seq").cast("string"))
    ).drop("_actor", "_new", "_seq")


def silver_events(
    bronze: DataFrame,
    gap_minutes: int = 30,
    max_events_per_minute: int = 60,
    clickstream_topic: str = CLICKSTREAM_TOPIC,
) -> DataFrame:
    """The silver event table: blank ids nulled, de-duplicated, erased accounts' ids removed,
    bots filtered, sessionized (after the erasure, so no session is named after its user)."""
    deduped = forget_erased(dedupe_events(blank_ids_as_null(bronze)), clickstream_topic)
    clean = filter_bots(deduped, max_events_per_minute, clickstream_topic=clickstream_topic)
    return sessionize(clean, gap_minutes)


def purchase_lines(events: DataFrame) -> DataFrame:
    """One row per (order, product) from ``OrderPlaced`` events, each order counted once.

    Purchases come only from the commerce topic's ``OrderPlaced``, never from a client. A
    checkout order (``payload.source == "checkout"``) counts only once its ``PaymentCaptured``
    has arrived: an order whose payment failed was never a purchase, and one whose money went
    back (``OrderRefunded``: cancelled after payment, or returned) is no longer one. Dataset
    orders (replays of historical invoices) were completed sales and count as placed. An order
    published twice under different event ids still counts once: orders are keyed by
    ``payload.order_id`` (by the event id when there is none).
    """
    order_id = F.get_json_object("payload", "$.order_id")
    captured = (
        events.where(F.col("type") == PAYMENT_CAPTURED)
        .select(order_id.alias("order_id"))
        .distinct()
        .withColumn("_paid", F.lit(True))
    )
    # An order without an order_id is one order on its own, not one with every other such order.
    own_key = F.coalesce(F.when(F.trim(order_id) != "", order_id), F.col("event_id"))
    placed = events.where(F.col("type") == ORDER_PLACED).select(
        "user_id",
        "ts",
        own_key.alias("order_id"),
        F.get_json_object("payload", "$.lines").alias("_lines"),
        F.get_json_object("payload", "$.source").alias("_source"),
        "event_id",
    )
    refunded = events.where(F.col("type") == ORDER_REFUNDED).select(order_id.alias("order_id"))
    orders = (
        placed.join(captured, "order_id", "left")
        .where((F.coalesce(F.col("_source"), F.lit("")) != "checkout") | F.col("_paid").isNotNull())
        .join(refunded, "order_id", "left_anti")
    )
    w = Window.partitionBy("order_id").orderBy("ts", "event_id")
    first = orders.withColumn("_n", F.row_number().over(w)).where("_n = 1")
    lines = first.select(
        "order_id", "user_id", "ts", F.explode(F.from_json("_lines", ORDER_LINES_SCHEMA)).alias("l")
    )
    line = F.col("l")
    typed = lines.select(
        "order_id", "user_id", "ts",
        F.coalesce(line["product_id"], line["sku"]).alias("product_id"),
        line["quantity"].try_cast("double").alias("quantity"),
        line["unit_price"].try_cast("double").alias("unit_price"),
    )  # fmt: skip
    # One row per product: lines of the same product at different prices keep their amounts.
    paid = F.col("quantity") * F.col("unit_price")
    return typed.groupBy("order_id", "user_id", "ts", "product_id").agg(
        F.sum("quantity").alias("quantity"),
        (F.sum(paid) / F.sum(F.when(paid.isNotNull(), F.col("quantity")))).alias("unit_price"),
        F.sum(F.coalesce(paid, F.lit(0.0))).alias("amount"),
    )
