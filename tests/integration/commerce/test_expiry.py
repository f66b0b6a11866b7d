"""Reservations past their time-to-live are released and their orders cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import certifi
from commerce_support import placed_order

from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider
from commerce.domain.products import Product
from commerce.service_layer.expiry import expire_due
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def _order(uow_factory: UowFactory, ttl: timedelta) -> tuple[Product, str]:
    return placed_order(uow_factory, "EXP", ttl)


def test_expired_reservation_is_released_and_order_cancelled(uow_factory: UowFactory) -> None:
    product, order_id = _order(uow_factory, ttl=timedelta(seconds=-1))
    live_product, live_order = _order(uow_factory, ttl=timedelta(minutes=15))
    assert expire_due(uow_factory, provider=None, limit=10_000) >= 1
    with uow_factory() as uow:
        assert product.id is not None and live_product.id is not None
        expired, live = uow.orders.get(order_id), uow.orders.get(live_order)
        level = uow.inventory.level(product.id)
        live_level = uow.inventory.level(live_product.id)
        assert uow.inventory.ledger_sums(product.id) == (4, 0)
    assert expired is not None and expired.status == "cancelled"
    assert live is not None and live.status == "pending_payment"
    assert level is not None and (level.available, level.reserved) == (4, 0)
    assert live_level is not None and (live_level.available, live_level.reserved) == (1, 3)
    assert expire_due(uow_factory, provider=None, limit=10_000) == 0  # nothing left to expire


def test_an_unknown_payment_holds_its_order_and_the_others_still_expire(
    uow_factory: UowFactory,
) -> None:
    """With the provider silent, an order whose charge may have happened is kept (it cannot be
    known whether it was paid); the expiry pass goes on to the next order instead of stopping."""
    silent = SandboxPaymentProvider("https://127.0.0.1:9", Path(certifi.where()), timeout_s=0.5)
    _, unknown = _order(uow_factory, ttl=timedelta(seconds=-1))
    _, plain = _order(uow_factory, ttl=timedelta(seconds=-1))
    with uow_factory() as uow:
        row = {"id": unknown, "order_id": unknown, "provider": "sandbox", "method": "card",
               "idempotency_key": f"pay-{unknown}", "status": "unknown",
               "amount": Decimal("9.00"), "currency": "GBP"}  # fmt: skip
        uow.payments.add(row)
        uow.commit()
    expire_due(uow_factory, silent, limit=10_000)
    with uow_factory() as uow:
        kept, expired = uow.orders.get(unknown), uow.orders.get(plain)
    assert kept is not None and kept.status == "pending_payment"
    assert expired is not None and expired.status == "cancelled"


def _payment(uow_factory: UowFactory, order_id: str, status: str) -> None:
    with uow_factory() as uow:
        uow.payments.add({"id": order_id, "order_id": order_id, "provider": "sandbox",
                          "method": "card", "idempotency_key": f"pay-{order_id}",
                          "status": status, "amount": Decimal("9.00"), "currency": "GBP",
                          "token": "tok_x"})  # fmt: skip
        uow.commit()


def test_an_expired_held_order_cancels_its_uncharged_payment_and_drops_its_source(
    uow_factory: UowFactory,
) -> None:
    """The payment stayed ``held`` with the card token on a cancelled order."""
    _, order_id = _order(uow_factory, ttl=timedelta(seconds=-1))
    _payment(uow_factory, order_id, "held")
    expire_due(uow_factory, provider=None, limit=10_000)
    with uow_factory() as uow:
        order, row = uow.orders.get(order_id), uow.payments.for_order(order_id)
    assert order is not None and order.status == "cancelled"
    assert row is not None and (row.status, row.token) == ("cancelled", None)


def test_without_a_provider_an_order_with_an_open_payment_is_kept(
    uow_factory: UowFactory,
) -> None:
    """It was cancelled (and its stock released) without asking whether its money arrived."""
    _, order_id = _order(uow_factory, ttl=timedelta(seconds=-1))
    _payment(uow_factory, order_id, "unknown")
    expire_due(uow_factory, provider=None, limit=10_000)
    with uow_factory() as uow:
        order = uow.orders.get(order_id)
    assert order is not None and order.status == "pending_payment"


def test_orders_kept_for_their_payment_do_not_hold_back_the_ones_behind_them(
    uow_factory: UowFactory,
) -> None:
    """Each pass took the oldest 100 expired orders: 100 with payments nobody could settle
    (a provider outage) and no other order's stock was ever released again."""
    stuck = []
    for _ in range(4):
        _, order_id = _order(uow_factory, ttl=timedelta(seconds=-10))
        _payment(uow_factory, order_id, "unknown")
        stuck.append(order_id)
    _, plain = _order(uow_factory, ttl=timedelta(seconds=-1))
    expire_due(uow_factory, provider=None, limit=2, max_pages=1)  # fewer than the kept ones
    with uow_factory() as uow:
        statuses = {o: uow.orders.get(o).status for o in [*stuck, plain]}  # type: ignore[union-attr]
    assert statuses == {**dict.fromkeys(stuck, "pending_payment"), plain: "cancelled"}
