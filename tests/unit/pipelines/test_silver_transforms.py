from __future__ import annotations

import pytest
from pipeline_frames import ev, frame, order
from pyspark.sql import SparkSession

from pipelines.transforms.silver import (
    dedupe_events,
    filter_bots,
    purchase_lines,
    sessionize,
    silver_events,
)

pytestmark = pytest.mark.spark


def test_dedupe_keeps_the_first_ingested_copy(spark: SparkSession) -> None:
    rows = [
        ev("product_view", 0, event_id="e1", ingested_min=5, page="late"),
        ev("product_view", 0, event_id="e1", ingested_min=1, page="early"),
        ev("product_view", 1, event_id="e2"),
    ]
    out = dedupe_events(frame(spark, rows)).collect()
    assert sorted(r.event_id for r in out) == ["e1", "e2"]
    assert [r.payload for r in out if r.event_id == "e1"] == ['{"page": "early"}']


def test_sessions_split_after_thirty_minutes_of_inactivity(spark: SparkSession) -> None:
    rows = [ev("page_view", m, user="a") for m in (0, 10, 39, 70)] + [ev("page_view", 5, user="b")]
    out = sessionize(frame(spark, rows)).orderBy("user_id", "ts").collect()
    assert [r.session for r in out] == ["a#1", "a#1", "a#1", "a#2", "b#1"]


def test_bots_lose_their_clickstream_but_not_their_orders(spark: SparkSession) -> None:
    flood = [ev("product_view", 0.1 * i / 10, user="bot", product="p") for i in range(70)]
    agent = [ev("page_view", 3, user="crawler", user_agent="Googlebot/2.1")]
    human = [ev("product_view", m, user="human", product="p") for m in range(5)]
    orders = [order(2, "bot", "o1", [("p", 1, 2.0)])]
    out = filter_bots(frame(spark, flood + agent + human + orders), max_events_per_minute=60)
    kept = {(r.user_id, r.type) for r in out.collect()}
    assert kept == {("human", "product_view"), ("bot", "OrderPlaced")}


def test_bots_are_found_on_a_clickstream_topic_of_another_name(spark: SparkSession) -> None:
    flood = [ev("product_view", 0.1 * i / 10, "bot", "p", topic="shop-clicks") for i in range(70)]
    human = [ev("product_view", 1, "human", "p", topic="shop-clicks")]
    out = silver_events(frame(spark, flood + human), clickstream_topic="shop-clicks")
    assert {r.user_id for r in out.collect()} == {"human"}


def test_a_blank_id_names_nobody(spark: SparkSession) -> None:
    rows = [ev("product_view", 0, "", "p"), ev("product_view", 1, " ", "q"), ev("page_view", 2, "")]
    out = silver_events(frame(spark, rows)).collect()
    assert [r.user_id for r in out] == [None, None, None]
    assert len({r.session for r in out}) == 3  # three visitors, not one user named ""
    no_product = frame(spark, [ev("product_view", 0, "u1", "")])
    assert [r.product_id for r in silver_events(no_product).collect()] == [None]


def test_purchase_lines_count_each_order_once(spark: SparkSession) -> None:
    rows = [
        order(0, "u1", "o1", [("a", 2, 1.5), ("b", 1, 4.0), ("a", 1, 3.0)]),
        order(1, "u1", "o1", [("a", 2, 1.5), ("b", 1, 4.0), ("a", 1, 3.0)]),  # republished
        ev("PaymentCaptured", 2, topic="commerce", order_id="o1", amount=8.5),
        order(3, "u2", "o2", [("b", 3, 4.0)]),
    ]
    out = {
        (r.order_id, r.product_id): (r.quantity, r.amount)
        for r in purchase_lines(frame(spark, rows)).collect()
    }
    assert out == {("o1", "a"): (3.0, 6.0), ("o1", "b"): (1.0, 4.0), ("o2", "b"): (3.0, 12.0)}


def test_orders_without_an_order_id_each_count(spark: SparkSession) -> None:
    line = [{"product_id": "p", "quantity": 1, "unit_price": 2.0}]
    rows = [
        ev("OrderPlaced", m, f"u{m}", None, "commerce", order_id=key, lines=line)
        for m, key in enumerate([None, "", " "])
    ]
    rows.append(ev("OrderPlaced", 3, "u3", None, "commerce", lines=line))  # no key at all
    out = purchase_lines(frame(spark, rows)).collect()
    assert sorted(r.user_id for r in out) == ["u0", "u1", "u2", "u3"]


def test_purchase_lines_accept_commerce_decimal_strings(spark: SparkSession) -> None:
    lines = [{"sku": "85123A", "quantity": 2, "unit_price": "2.55"}]
    rows = [ev("OrderPlaced", 0, "u1", None, "commerce", order_id="o9", lines=lines)]
    out = purchase_lines(frame(spark, rows)).collect()
    assert [(r.product_id, r.quantity, r.unit_price, r.amount) for r in out] == [
        ("85123A", 2.0, 2.55, pytest.approx(5.1))
    ]


def test_checkout_orders_count_only_once_paid_and_not_once_refunded(
    spark: SparkSession,
) -> None:
    lines = [{"sku": "85123A", "quantity": 1, "unit_price": "2.55"}]
    checkout = {"topic": "commerce", "lines": lines, "source": "checkout"}
    rows = [
        ev("OrderPlaced", 0, "u1", None, order_id="paid", **checkout),
        ev("PaymentCaptured", 1, "u1", None, "commerce", order_id="paid", amount="2.55"),
        ev("OrderPlaced", 2, "u2", None, order_id="declined", **checkout),
        ev("PaymentFailed", 3, "u2", None, "commerce", order_id="declined", code="declined"),
        ev("OrderPlaced", 5, "u4", None, order_id="returned", **checkout),
        ev("PaymentCaptured", 6, "u4", None, "commerce", order_id="returned", amount="2.55"),
        ev("OrderRefunded", 7, "u4", None, "commerce", order_id="returned", reason="returned"),
        ev(
            "OrderPlaced",
            4,
            "u3",
            None,
            order_id="historical",
            topic="commerce",
            lines=lines,
            source="online-retail",
        ),
    ]
    out = {r.order_id for r in purchase_lines(frame(spark, rows)).collect()}
    assert out == {"paid", "historical"}


def test_an_erased_account_leaves_no_user_id_in_silver(spark: SparkSession) -> None:
    rows = [
        ev("product_view", 0, "gone", "p"),
        ev("add_to_cart", 1, "gone", "p"),
        order(2, "gone", "o1", [("p", 1, 2.0)]),
        ev("AccountDeleted", 30, "gone", topic="commerce"),
        ev("product_view", 0, "kept", "p"),
    ]
    out = silver_events(frame(spark, rows)).collect()
    assert sorted(r.user_id or "-" for r in out) == ["-", "-", "-", "-", "kept"]
    assert not any("gone" in r.session for r in out)  # sessions are not named after them
    placed = purchase_lines(silver_events(frame(spark, rows))).collect()
    assert [(r.order_id, r.user_id) for r in placed] == [("o1", None)]  # still a sale


def test_an_erasure_is_taken_only_from_commerce(spark: SparkSession) -> None:
    rows = [ev("product_view", 0, "victim", "p"), ev("AccountDeleted", 1, "victim")]
    out = silver_events(frame(spark, rows)).collect()
    assert {r.user_id for r in out} == {"victim"}  # a client's event named like it erases nobody
