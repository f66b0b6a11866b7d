from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pipeline_frames import T0, ev, frame, order
from pyspark.sql import DataFrame, SparkSession

from pipelines.jobs.batch import BatchSettings, gold_tables
from pipelines.transforms.features import item_features
from pipelines.transforms.gold import (
    InteractionWeights,
    co_occurrence,
    interaction_signals,
    interactions,
    item_popularity,
    user_features,
)
from pipelines.transforms.silver import purchase_lines, silver_events
from pipelines.transforms.training import purchase_labels, ranking_training_set

pytestmark = pytest.mark.spark
DAY = 24 * 60


def _signals(spark: SparkSession, rows: list[tuple[object, ...]]) -> tuple[DataFrame, DataFrame]:
    events = frame(spark, rows)
    purchases = purchase_lines(events)
    return events, purchases


def test_interaction_weights_and_decay(spark: SparkSession) -> None:
    rows = [
        ev("product_view", 0, product="p"),
        ev("product_view", 0, product="p"),
        ev("add_to_cart", 0, product="p"),
        ev("ReviewSubmitted", 0, product="p", topic="commerce", rating=5),
        order(-10 * DAY, "u1", "o1", [("p", 12, 1.0)]),  # ten days old: half weight
        ev("product_view", 5 * DAY, product="p"),  # after as_of: ignored
    ]
    events, purchases = _signals(spark, rows)
    weights = InteractionWeights(view=1, cart=3, purchase=8, rating=2, half_life_days=10)
    out = interactions(interaction_signals(events, purchases), weights, as_of=T0).collect()
    assert len(out) == 1
    row = out[0]
    assert row.weight == pytest.approx(2 * 1 + 3 + 2 * 5 / 5 + 8 * 0.5)
    assert (row.n_view, row.n_cart, row.n_purchase, row.n_rating) == (2, 1, 1, 1)


def test_co_occurrence_counts_orders_both_ways(spark: SparkSession) -> None:
    rows = [
        order(0, "u1", "o1", [("a", 1, 1.0), ("b", 1, 1.0), ("c", 1, 1.0)]),
        order(1, "u2", "o2", [("a", 1, 1.0), ("b", 2, 1.0)]),
        order(2, "u3", "o3", [("a", 1, 1.0)]),
    ]
    _, purchases = _signals(spark, rows)
    out = {
        (r.product_id, r.other_product_id): (r.n_orders, r.confidence)
        for r in co_occurrence(purchases).collect()
    }
    assert out[("a", "b")] == (2, pytest.approx(2 / 3))
    assert out[("b", "a")] == (2, 1.0)
    assert out[("c", "a")] == (1, 1.0)
    assert ("a", "a") not in out and len(out) == 6


def test_popularity_windows_slide(spark: SparkSession) -> None:
    rows = [ev("product_view", 0, product="p"), ev("product_view", 2 * DAY, product="p")]
    events, purchases = _signals(spark, rows)
    pop = item_popularity(interaction_signals(events, purchases), "2 days", "1 day").collect()
    assert sorted(r.n_view for r in pop) == [1, 1, 1, 1]
    pop3 = item_popularity(interaction_signals(events, purchases), "3 days", "1 day").collect()
    assert max(r.n_view for r in pop3) == 2


def test_user_rfm_and_item_features(spark: SparkSession) -> None:
    rows = [
        order(-3 * DAY, "u1", "o1", [("a", 2, 5.0)]),
        order(-1 * DAY, "u1", "o2", [("a", 1, 5.0), ("b", 1, 1.0)]),
        ev(
            "ProductCreated",
            -9 * DAY,
            None,
            "a",
            "commerce",
            name="Mug",
            price=6.0,
            category="Kitchen",
        ),
        ev("ProductUpdated", -5 * DAY, None, "a", "commerce", sku="a", changes={"price": "7.5"}),
        ev("product_view", -2 * DAY, "u2", "b"),
    ]
    events, purchases = _signals(spark, rows)
    signals = interaction_signals(events, purchases)
    users = {r.user_id: r for r in user_features(purchases, signals, T0).collect()}
    assert users["u1"].frequency == 2 and users["u1"].monetary == pytest.approx(16.0)
    assert users["u1"].recency_days == pytest.approx(1.0)
    assert users["u2"].frequency == 0 and users["u2"].n_views == 1
    items = {r.product_id: r for r in item_features(events, purchases, signals, T0).collect()}
    assert (items["a"].price, items["a"].category, items["a"].n_orders) == (7.5, "Kitchen", 2)
    assert items["a"].age_days == pytest.approx(9.0)
    assert items["b"].price == 1.0 and items["b"].n_views == 1


def test_training_set_uses_only_earlier_events(spark: SparkSession) -> None:
    rows = [
        order(0, "u1", "o1", [("a", 1, 2.0)]),
        order(60, "u1", "o2", [("a", 1, 2.0), ("b", 1, 3.0)]),
        order(30, "u2", "o3", [("a", 1, 2.0)]),
        order(90, "u3", "o4", [(p, 1, 1.0) for p in "cdefg"]),
        ev("product_view", 59, "u1", "b"),
        ev("product_view", 61, "u1", "b"),  # after the label: must not leak
    ]
    events, purchases = _signals(spark, rows)
    labels = purchase_labels(purchases, negatives_per_positive=3)
    train = ranking_training_set(labels, purchases, interaction_signals(events, purchases))
    got = {(r.user_id, r.product_id, r.label_ts): r for r in train.where("label = 1").collect()}
    second = (T0 + timedelta(minutes=60)).replace(tzinfo=None)
    a2, b2 = got[("u1", "a", second)], got[("u1", "b", second)]
    assert (a2.user_orders, a2.user_spend, a2.user_item_purchases) == (1, 2.0, 1)
    assert a2.item_orders == 2 and a2.item_buyers == 2
    assert (b2.user_item_views, b2.user_item_purchases, b2.item_orders) == (1, 0, 0)
    assert a2.days_since_last_order == pytest.approx(60 / DAY)
    first = got[("u1", "a", T0.replace(tzinfo=None))]
    assert (first.user_orders, first.item_orders) == (0, 0)
    negatives = train.where("label = 0").collect()
    assert negatives and all(r.product_id not in ("a",) for r in negatives if r.order_id == "o1")


def test_gold_as_of_a_past_time_sees_no_later_order(spark: SparkSession, tmp_path: Path) -> None:
    rows = [
        order(0, "u1", "o1", [("a", 1, 1.0), ("b", 1, 1.0)]),
        order(2 * DAY, "u2", "o2", [("c", 1, 1.0), ("d", 1, 1.0)]),  # after as_of
    ]
    events = frame(spark, rows)
    tables = gold_tables(events, BatchSettings(lake=tmp_path), T0 + timedelta(days=1))
    for name in ("co_occurrence", "item_popularity", "ranking_training_set", "interactions"):
        products = {r.product_id for r in tables[name]().collect()}
        assert products <= {"a", "b"}, name


def test_gold_as_of_a_past_time_keeps_an_order_refunded_only_later(
    spark: SparkSession, tmp_path: Path
) -> None:
    # Silver's purchases are as of the latest event: an order refunded after as_of was missing
    # from gold as of a time when it stood (and a payment captured later counted before it).
    rows = [
        order(0, "u1", "o1", [("a", 1, 1.0)]),
        ev("OrderRefunded", 2 * DAY, "u1", None, "commerce", order_id="o1"),  # after as_of
    ]
    tables = gold_tables(frame(spark, rows), BatchSettings(lake=tmp_path), T0 + timedelta(days=1))
    got = [(r.user_id, r.product_id, r.n_purchase) for r in tables["interactions"]().collect()]
    assert got == [("u1", "a", 1)]


def test_a_changed_rating_replaces_the_old_and_a_deleted_one_counts_no_more(
    spark: SparkSession,
) -> None:
    rows = [
        ev("ProductRated", 0, "u1", "p", "commerce", rating=1),
        ev("ProductRated", 1, "u1", "p", "commerce", rating=5, previous_rating=1),
        ev("ProductRated", 2, "u2", "p", "commerce", rating=5),
        ev("ReviewDeleted", 3, "u2", "p", "commerce", rating=5),
        ev("product_view", 4, "u2", "p"),
    ]
    events, purchases = _signals(spark, rows)
    signals = interaction_signals(events, purchases)
    weights = InteractionWeights(half_life_days=None)
    got = {r.user_id: r for r in interactions(signals, weights, T0 + timedelta(days=1)).collect()}
    assert (got["u1"].weight, got["u1"].n_rating) == (pytest.approx(4.0), 1)
    assert (got["u2"].weight, got["u2"].n_rating) == (pytest.approx(1.0), 0)
    item = item_features(events, purchases, signals, T0 + timedelta(days=1)).collect()[0]
    assert (item.rating, item.n_ratings) == (5.0, 1)


def test_items_count_visitors_views_and_guests_orders(spark: SparkSession, tmp_path: Path) -> None:
    rows = [
        ev("product_view", 0, None, "p"),  # a visitor who never logged in
        ev("product_view", 1, "u1", "p"),
        order(2, None, "o1", [("p", 1, 2.0)]),  # a guest's order
    ]
    events = frame(spark, rows)
    tables = gold_tables(events, BatchSettings(lake=tmp_path), T0 + timedelta(days=1))
    popularity = tables["item_popularity"]().collect()
    assert {(r.n_view, r.n_purchase, r.n_users) for r in popularity} == {(2, 1, 1)}
    item = tables["item_features"]().collect()[0]
    assert (item.n_views, item.n_orders) == (2, 1)
    assert [(r.user_id, r.n_view) for r in tables["interactions"]().collect()] == [("u1", 1)]
    assert [r.user_id for r in tables["user_features"]().collect()] == ["u1"]


def test_an_erased_account_is_in_no_per_user_table_even_as_of_before_its_erasure(
    spark: SparkSession, tmp_path: Path
) -> None:
    rows = [
        ev("product_view", 0, "gone", "p"),
        order(1, "gone", "o1", [("p", 1, 2.0), ("q", 1, 1.0)]),
        order(2, "kept", "o2", [("p", 1, 2.0)]),
        ev("AccountDeleted", 3 * DAY, "gone", topic="commerce"),  # after as_of
    ]
    silver = silver_events(frame(spark, rows))
    tables = gold_tables(silver, BatchSettings(lake=tmp_path), T0 + timedelta(days=1))
    for name in ("interactions", "user_features", "ranking_training_set"):
        assert {r.user_id for r in tables[name]().collect()} == {"kept"}, name
    popularity = {r.product_id: r for r in tables["item_popularity"]().collect()}
    assert (popularity["p"].n_view, popularity["p"].n_purchase) == (1, 2)  # counted anonymously
    pairs = {(r.product_id, r.other_product_id) for r in tables["co_occurrence"]().collect()}
    assert pairs == {("p", "q"), ("q", "p")}
