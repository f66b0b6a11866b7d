"""Expire reservations whose time-to-live has passed (run by ``emporium worker``).

An order with an open payment is first reconciled with the provider: if the money arrived,
the order is paid and its reservations become sales; only otherwise is it cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from commerce.domain import events
from commerce.domain.events import utcnow
from commerce.domain.orders import STOCK_RESERVED_STATES
from commerce.domain.payments import PaymentOutcomeUnknown, PaymentProvider
from commerce.service_layer import inventory, payment
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def expire_due(
    uow_factory: UowFactory, provider: PaymentProvider | None,
    now: datetime | None = None, limit: int = 100, max_pages: int = 10,
) -> int:  # fmt: skip
    """Expire the orders whose reservations have expired; returns how many were looked at.

    Orders without an open payment go first, ``limit`` at a time, up to ``max_pages`` pages:
    nobody needs asking. Then up to ``limit`` orders whose payment is open, picked at random
    (the ones kept last time take turns with the others), each reconciled with the provider
    first; one whose outcome stays unknown is kept. A provider that did not answer is not
    asked again in the same pass (each try costs a time-out). During a provider outage, kept
    orders therefore never hold back the others' stock."""
    now = now or utcnow()
    seen = 0
    for _ in range(max_pages):
        with uow_factory() as uow:
            order_ids = uow.inventory.orders_with_expired_reservations(now, limit)
        for order_id in order_ids:
            expire_order(uow_factory, provider, order_id, now)
        seen += len(order_ids)
        if len(order_ids) < limit:
            break
    with uow_factory() as uow:
        order_ids = uow.inventory.orders_with_expired_reservations(now, limit, open_payment=True)
    for order_id in order_ids:
        try:
            expire_order(uow_factory, provider, order_id, now)
        except PaymentOutcomeUnknown:  # can't know if it was paid: keep it, go on
            log.warning("order %s not expired: its payment's outcome is unknown", order_id)
            provider = None  # silent: not asked again this pass
    return seen + len(order_ids)


def expire_order(
    uow_factory: UowFactory, provider: PaymentProvider | None, order_id: str,
    now: datetime | None = None,
) -> bool:  # fmt: skip
    """Cancel the order and release its stock, unless its open payment turns out to have
    been captured (its reservations are then sales) or may still be in flight (it is kept
    for a later pass: returns False).

    Raises
    ------
    PaymentOutcomeUnknown
        If the order has an open payment and no provider (or a silent one) can say what
        became of it: cancelling could keep money for an order that is not delivered.
    """
    with uow_factory() as uow:
        row = uow.payments.for_order(order_id)
    if row is not None and row.status in payment.OPEN:
        if provider is None:
            raise PaymentOutcomeUnknown("no payment provider to ask (EMPORIUM_PAYMENTS__URL)")
        status = payment.reconcile(uow_factory, provider, order_id, now)
        if status == "captured":
            return True
        if status in payment.OPEN:
            return False
    with uow_factory() as uow:
        order = uow.orders.get(order_id, for_update=True)
        if order is not None and order.status in STOCK_RESERVED_STATES:
            previous = order.apply("cancel")
            uow.orders.save(order)
            uow.emit(events.OrderCancelled(user_id=order.user_id, order_id=order_id,
                                           previous=previous, reason="expired"))  # fmt: skip
        # A held order's payment was never charged; its source is no longer needed.
        uow.payments.transition(order_id, ["held"], status="cancelled", token=None)
        inventory.release(uow, order_id, "expired")
        uow.commit()
    return True
