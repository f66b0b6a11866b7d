"""Changes that race on one cart or one order: none is lost, none fails the other."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import certifi

from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider
from commerce.domain.errors import InvalidInput
from commerce.domain.payments import ChargeResult
from commerce.domain.pricing import PricingRules
from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer import cart, catalog, checkout, inventory, orders, payment, reviews
from commerce.service_layer.checkout import CheckoutRequest, place_order
from commerce.service_layer.fraud import FraudScreen
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
ADDRESS = {"name": "N", "line1": "1", "city": "C", "postcode": "P"}


def _together(*calls: Callable[[], Any]) -> list[BaseException]:
    """Run the calls in threads released at once; the exceptions they raised."""
    barrier, errors = threading.Barrier(len(calls)), []

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _product(uow_factory: UowFactory, stock: int) -> Product:
    with uow_factory() as uow:
        product = uow.products.add(Product(sku=f"CC-{uuid.uuid4().hex[:8]}", name="n",
                                           price=Decimal("2"), currency="GBP"))  # fmt: skip
        uow.commit()
    inventory.receive_stock(uow_factory(), product.sku, stock)
    return product


def _user(uow_factory: UowFactory) -> str:
    user = User(f"cc-{uuid.uuid4().hex}", None, None)
    with uow_factory() as uow:
        uow.users.upsert_many([user])
        uow.commit()
    return user.id


def _shopper(uow_factory: UowFactory, product: Product, quantity: int) -> str:
    """A new user whose cart holds ``quantity`` of ``product``."""
    user_id = _user(uow_factory)
    with uow_factory() as uow:
        assert product.id is not None
        uow.carts.set_quantity(uow.carts.for_user(user_id), product.id, quantity)
        uow.commit()
    return user_id


def test_parallel_adds_to_one_cart_all_count(uow_factory: UowFactory) -> None:
    """Each add read the line's quantity, then wrote an absolute one: 40 adds left 8."""
    product, user_id = _product(uow_factory, stock=90), _user(uow_factory)
    owner = cart.CartOwner(user_id=user_id)
    errors = _together(*[lambda: cart.add_item(uow_factory(), owner, product.sku, 1)] * 12)
    assert errors == []
    lines = cart.view(uow_factory(), owner).lines
    assert [(line.sku, line.quantity) for line in lines] == [(product.sku, 12)]


def test_parallel_adds_of_new_products_stop_at_the_line_limit(uow_factory: UowFactory) -> None:
    """Each add counted the lines, then inserted: 70 parallel adds left 53 lines (limit 50)."""
    products, user_id = [_product(uow_factory, stock=1) for _ in range(60)], _user(uow_factory)
    owner = cart.CartOwner(user_id=user_id)
    errors = _together(
        *[lambda p=p: cart.add_item(uow_factory(), owner, p.sku, 1) for p in products]
    )
    assert len(cart.view(uow_factory(), owner).lines) == cart.MAX_LINES
    assert len(errors) == len(products) - cart.MAX_LINES
    assert all(isinstance(e, InvalidInput) for e in errors)


def test_a_charge_captured_while_the_order_is_cancelled_is_kept_and_refunded(
    uow_factory: UowFactory,
) -> None:
    """The cancel's version bump used to roll back the record of the capture (409 to the
    shopper, card charged, payment left pending). Whichever commits first, the order ends
    cancelled and the captured money is owed back."""
    silent = SandboxPaymentProvider("https://127.0.0.1:9", Path(certifi.where()), timeout_s=0.5)
    product = _product(uow_factory, stock=10)
    placed = []
    for _ in range(5):
        user_id = _shopper(uow_factory, product, 1)
        order = place_order(uow_factory(), CheckoutRequest(user_id, "k", "GB", ADDRESS),
                            PricingRules())  # fmt: skip
        with uow_factory() as uow:
            row = {"id": order.id, "order_id": order.id, "provider": "sandbox", "method": "card",
                   "idempotency_key": f"pay-{order.id}", "status": "pending",
                   "amount": order.total, "currency": "GBP"}  # fmt: skip
            uow.payments.add(row)
            uow.commit()
        placed.append(order)
    for order in placed:
        captured = ChargeResult(status="captured", provider_ref=f"ch_{order.id[:8]}")
        errors = _together(
            lambda o=order: orders.cancel(uow_factory, silent, o.id, o.user_id),
            lambda o=order, r=captured: payment.record_outcome(uow_factory, silent, o.id, r),
        )
        assert errors == [], errors
        with uow_factory() as uow:
            final, row = uow.orders.get(order.id), uow.payments.for_order(order.id)
        assert final is not None and final.status == "cancelled"
        assert row is not None and row.status == "refund_pending"  # the provider is silent


def test_a_paid_order_cancelled_with_no_provider_at_hand_is_owed_back(
    uow_factory: UowFactory,
) -> None:
    """Without a provider the payment stayed captured, and nothing ever refunded it; now it
    waits as refund_pending for the worker, which retries once a provider is configured."""
    product = _product(uow_factory, stock=10)
    user_id = _shopper(uow_factory, product, 1)
    order = place_order(uow_factory(), CheckoutRequest(user_id, "k", "GB", ADDRESS),
                        PricingRules())  # fmt: skip
    with uow_factory() as uow:
        uow.payments.add({"id": order.id, "order_id": order.id, "provider": "sandbox",
                          "method": "card", "idempotency_key": f"pay-{order.id}",
                          "status": "captured", "provider_ref": f"ch_{order.id[:8]}",
                          "amount": order.total, "currency": "GBP"})  # fmt: skip
        uow.orders.require(order.id).status = "paid"
        uow.commit()
    orders.cancel(uow_factory, None, order.id, user_id)
    with uow_factory() as uow:
        final, row = uow.orders.get(order.id), uow.payments.for_order(order.id)
    assert final is not None and final.status == "cancelled"
    assert row is not None and row.status == "refund_pending"


def test_parallel_checkouts_to_one_address_are_counted_by_the_velocity_rule(
    uow_factory: UowFactory,
) -> None:
    """Counted side by side, 25 parallel orders to one address let 17 through a limit of 10."""
    rules = FraudScreen()
    limit, shoppers = rules.rules.max_orders_per_address_hour, 16
    product = _product(uow_factory, stock=shoppers)
    address = {**ADDRESS, "line1": f"{uuid.uuid4().hex[:8]} Mill Lane"}
    requests = [
        CheckoutRequest(_shopper(uow_factory, product, 1), "k", "GB", address)
        for _ in range(shoppers)
    ]
    placed: list[str] = []
    errors = _together(*[
        lambda r=r: placed.append(
            place_order(uow_factory(), r, PricingRules(), fraud_screen=rules).status
        )
        for r in requests
    ])  # fmt: skip
    assert errors == []
    assert sorted(placed) == ["on_hold"] * (shoppers - limit) + ["pending_payment"] * limit


def test_orders_placed_during_price_edits_are_priced_from_one_read(
    uow_factory: UowFactory,
) -> None:
    """Line totals came from the cart's read and unit prices from a later one: a price edit
    between them gave lines whose unit price times quantity was not their total."""
    product, shoppers = _product(uow_factory, stock=60), 20
    requests = [
        CheckoutRequest(_shopper(uow_factory, product, 3), "k", "GB", ADDRESS)
        for _ in range(shoppers)
    ]
    done = threading.Event()

    def edit_prices() -> None:
        while not done.is_set():
            for price in ("10.00", "20.00"):
                catalog.update_product(uow_factory(), product.sku, {"price": price})

    editor = threading.Thread(target=edit_prices)
    editor.start()
    try:
        errors = _together(
            *[lambda r=r: place_order(uow_factory(), r, PricingRules()) for r in requests]
        )
    finally:
        done.set()
        editor.join()
    assert errors == []
    with uow_factory() as uow:
        placed = [uow.orders.get(checkout.order_id_for(r.user_id, "k")) for r in requests]
    for order in placed:
        assert order is not None
        assert all(ln.unit_price * ln.quantity == ln.line_total for ln in order.lines), order.id
        assert order.subtotal == sum(ln.line_total for ln in order.lines)


def test_a_review_deleted_while_it_is_updated_is_not_found_not_a_crash(
    uow_factory: UowFactory,
) -> None:
    """The update read the review, lost it to the delete, then asserted it was there (500)."""
    product = _product(uow_factory, stock=1)
    for _ in range(15):
        user_id = _user(uow_factory)
        reviews.add_review(uow_factory(), user_id, product.sku, 4, "ok", "fine")
        errors = _together(
            lambda u=user_id: reviews.update_review(uow_factory(), u, product.sku, 2, "t", "b"),
            lambda u=user_id: reviews.delete_review(uow_factory(), u, product.sku),
        )
        assert all(isinstance(e, reviews.ReviewNotFound) for e in errors), errors
