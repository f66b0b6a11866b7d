"""Checkout: re-validate the cart, price it, reserve stock and place the order — one
transaction. Payment follows in :mod:`commerce.service_layer.payment`."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from commerce.domain import events
from commerce.domain.cart import CartLine
from commerce.domain.errors import EmptyCart, InvalidInput, ProductUnavailable
from commerce.domain.events import utcnow
from commerce.domain.orders import ON_HOLD, Order, OrderLine
from commerce.domain.pricing import (
    DEFAULT_WEIGHT_GRAMS,
    MAX_AMOUNT,
    PricingRules,
    cents,
    quote,
)
from commerce.domain.products import Product
from commerce.service_layer import inventory
from commerce.service_layer.account_lock import share_lock_account
from commerce.service_layer.fraud import FraudScreen, screen
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

_ORDER_NS = uuid.UUID("5d0f5a3c-8f1e-4c55-9a53-6f1b2f0c9e11")
RESERVATION_TTL = timedelta(minutes=15)
HELD_TTL = timedelta(hours=24)


@dataclasses.dataclass(frozen=True)
class CheckoutRequest:
    user_id: str
    idempotency_key: str
    country: str
    shipping_address: dict[str, Any]
    expected_total: Decimal | None = None
    request_id: str | None = None


def order_id_for(user_id: str, idempotency_key: str) -> str:
    """The natural key: one checkout attempt (user + Idempotency-Key) is one order, ever."""
    return str(uuid.uuid5(_ORDER_NS, f"{user_id}\x00{idempotency_key}"))


def place_order(
    uow: SqlAlchemyUnitOfWork, req: CheckoutRequest, rules: PricingRules,
    ttl: timedelta = RESERVATION_TTL, fraud_screen: FraudScreen | None = None,
) -> Order:  # fmt: skip
    """Reserve stock and create the order (pending payment, or on hold when the fraud
    screen says so — held stock is kept for HELD_TTL while someone reviews it)."""
    order_id = order_id_for(req.user_id, req.idempotency_key)
    with uow:
        # Shared, first (the lock order user -> cart -> order -> stock -> payment): an
        # erasure in flight ends before and this finds the account gone, or waits for this
        # order and then sees it (PostgreSQL: the request's token check was its own read).
        share_lock_account(uow, req.user_id)
        existing = uow.orders.get(order_id)
        if existing is not None:
            return existing
        cart_id = uow.carts.for_user(req.user_id)
        uow.carts.lock(cart_id)
        lines = uow.carts.lines(cart_id)
        products = _validate(uow, lines)
        order = _build_order(order_id, req, lines, products, rules)
        if fraud_screen is not None:
            ttl = _screen(uow, order, fraud_screen, ttl, req.request_id)
        inventory.reserve(uow, order_id, [(products[ln.sku], ln.quantity) for ln in lines],
                          utcnow() + ttl, req.user_id)  # fmt: skip
        uow.orders.add(order)
        uow.carts.clear(cart_id)
        _emit_placed(uow, order, req.request_id)
        uow.commit()
    return order


def _screen(
    uow: SqlAlchemyUnitOfWork, order: Order, config: FraudScreen, ttl: timedelta,
    request_id: str | None,
) -> timedelta:  # fmt: skip
    risk = screen(uow, order, config)
    if not risk.hold:
        return ttl
    order.status = ON_HOLD
    order.hold_reason = ",".join(risk.reasons)[:200] or "risk_score"
    uow.emit(events.OrderHeld(user_id=order.user_id, request_id=request_id, order_id=order.id,
                              reason=order.hold_reason))  # fmt: skip
    return HELD_TTL


def _validate(uow: SqlAlchemyUnitOfWork, lines: list[CartLine]) -> dict[str, Product]:
    if not lines:
        raise EmptyCart("the cart is empty")
    products = uow.products.get_many(ln.sku for ln in lines)
    for line in lines:
        product = products.get(line.sku)
        if product is None or not product.is_active:
            raise ProductUnavailable("a product is no longer sold", {"sku": line.sku})
    if len({products[ln.sku].currency for ln in lines}) > 1:
        # a price edit can change a product's currency after it was put in the cart
        raise InvalidInput("a cart holds one currency", {"field": "currency"})
    return products


def _build_order(
    order_id: str, req: CheckoutRequest, lines: list[CartLine],
    products: dict[str, Product], rules: PricingRules,
) -> Order:  # fmt: skip
    # Every amount comes from the one read of the products: the cart's own line totals were
    # read earlier, and a price edit committed in between would make them disagree.
    order_lines = [
        OrderLine(ln.product_id, ln.sku, ln.name, products[ln.sku].price, ln.quantity,
                  cents(products[ln.sku].price * ln.quantity))
        for ln in lines
    ]  # fmt: skip
    currency = products[lines[0].sku].currency
    rules.check_currency(currency)
    weight = sum(_weight(products[ln.sku]) * ln.quantity for ln in lines)
    q = quote(rules, [ln.line_total for ln in order_lines], weight, req.country)
    if q.total > MAX_AMOUNT:
        raise InvalidInput(
            f"an order's total is limited to {MAX_AMOUNT}",
            {"field": "total", "total": str(q.total)},
        )
    if req.expected_total is not None and req.expected_total != q.total:
        raise InvalidInput(
            "prices changed since the cart was shown",
            {"field": "expected_total", "total": str(q.total)},
        )
    return Order(
        id=order_id, user_id=req.user_id, currency=currency, lines=order_lines,
        subtotal=q.subtotal, tax=q.tax, shipping=q.shipping, total=q.total,
        country=req.country.upper(), shipping_address=req.shipping_address,
    )  # fmt: skip


def _weight(product: Product) -> int:
    grams = product.attributes.get("weight_grams", DEFAULT_WEIGHT_GRAMS)
    return grams if isinstance(grams, int) and grams >= 0 else DEFAULT_WEIGHT_GRAMS


def order_lines_payload(order: Order) -> list[dict[str, Any]]:
    return [
        {"sku": ln.sku, "quantity": ln.quantity, "unit_price": str(ln.unit_price)}
        for ln in order.lines
    ]


def _emit_placed(uow: SqlAlchemyUnitOfWork, order: Order, request_id: str | None) -> None:
    common: dict[str, Any] = {
        "user_id": order.user_id, "request_id": request_id, "order_id": order.id,
    }  # fmt: skip
    uow.emit(
        events.CheckoutStarted(**common, total=order.total, currency=order.currency,
                               items=sum(ln.quantity for ln in order.lines)),
        events.OrderPlaced(**common, status=order.status, lines=order_lines_payload(order),
                           subtotal=order.subtotal, tax=order.tax, shipping=order.shipping,
                           total=order.total, currency=order.currency, country=order.country),
    )  # fmt: skip
