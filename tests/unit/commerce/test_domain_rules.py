"""Pure domain rules: money, pricing, stock moves, the order state machine, quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.domain.cart import validate_quantity
from commerce.domain.errors import IllegalTransition, InvalidInput
from commerce.domain.inventory import StockMove, crossed_low
from commerce.domain.orders import TRANSITIONS, Order
from commerce.domain.pricing import PricingRules, quote
from commerce.domain.products import MAX_ATTRIBUTE_DEPTH, Product, money


def test_money_rounds_half_even_and_refuses_nonsense() -> None:
    assert money("2.345") == Decimal("2.34") and money("2.355") == Decimal("2.36")
    for bad in ("-1", "NaN", "Infinity", "abc", "1e20"):
        with pytest.raises(InvalidInput):
            money(bad)


def test_quote_tax_shipping_and_free_threshold() -> None:
    rules = PricingRules()
    q = quote(rules, [Decimal("20.00")], weight_grams=800, country="GB")
    assert (q.subtotal, q.shipping, q.tax, q.total) == (
        Decimal("20.00"), Decimal("3.95"), Decimal("4.79"), Decimal("28.74"))  # fmt: skip
    heavy = quote(rules, [Decimal("20.00")], weight_grams=40_000, country="US")
    assert heavy.shipping == Decimal("12.95") and heavy.tax == Decimal("0.00")
    free = quote(rules, [Decimal("30.00"), Decimal("20.00")], weight_grams=800, country="DE")
    assert free.shipping == Decimal("0.00") and free.tax == Decimal("9.50")
    with pytest.raises(InvalidInput):
        quote(rules, [Decimal("1")], 1, "ZZ")


def test_stock_moves_keep_available_equal_to_on_hand_less_reserved() -> None:
    on_hand = reserved = available = 0
    for kind, qty in [("received", 10), ("reserved", 4), ("released", 1), ("sold", 3),
                      ("returned", 2), ("adjusted", -1)]:  # fmt: skip
        move = StockMove(kind, qty)
        on_hand += move.on_hand_delta
        reserved += move.reserved_delta
        available += move.available_delta
        assert available == on_hand - reserved
    assert (on_hand, reserved, available) == (8, 0, 8)
    for bad in (("reserved", 0), ("sold", -1), ("stolen", 1), ("received", 10**7)):
        with pytest.raises(InvalidInput):
            StockMove(*bad)


def test_low_stock_crossing_fires_once() -> None:
    assert crossed_low(6, 5, 5) and not crossed_low(5, 4, 5) and not crossed_low(9, 8, 5)


def _order(status: str) -> Order:
    zero = Decimal("0")
    return Order("o", "u", "GBP", [], zero, zero, zero, zero, "GB", status=status)


def test_every_illegal_transition_is_refused_with_the_stable_code() -> None:
    states = {target for _, target in TRANSITIONS.values()} | {"pending_payment"}
    for action, (sources, target) in TRANSITIONS.items():
        for state in states:
            order = _order(state)
            if state in sources:
                order.apply(action)
                assert order.status == target
            else:
                with pytest.raises(IllegalTransition) as caught:
                    order.apply(action)
                assert caught.value.code == "illegal_transition" and order.status == state


def test_cart_quantity_rule() -> None:
    assert validate_quantity(1) == 1 and validate_quantity(99) == 99
    for bad in (0, -1, 100, 1.0, True, "2", None):
        with pytest.raises(InvalidInput):
            validate_quantity(bad)


def test_product_validates_sku_currency_and_name() -> None:
    ok = Product(sku="85123A", name="Heart", price=Decimal("2.55"), currency="GBP")
    assert ok.price == Decimal("2.55")
    for kw in ({"sku": "a/b"}, {"currency": "gbp"}, {"name": "  "}, {"price": Decimal("-1")}):
        with pytest.raises(InvalidInput):
            Product(**{"sku": "S1", "name": "n", "price": Decimal("1"), "currency": "GBP", **kw})  # type: ignore[arg-type]


def test_product_attributes_nest_at_most_max_depth() -> None:
    def nested(levels: int) -> dict[str, object]:
        value: object = []
        for _ in range(levels - 2):
            value = [value]
        return {"w": value}  # the attributes object itself is the first level

    product = {"sku": "S1", "name": "n", "price": Decimal("1"), "currency": "GBP"}
    Product(**product, attributes=nested(MAX_ATTRIBUTE_DEPTH))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        Product(**product, attributes=nested(MAX_ATTRIBUTE_DEPTH + 1))  # type: ignore[arg-type]
    assert refused.value.details == {"field": "attributes", "max_depth": MAX_ATTRIBUTE_DEPTH}
