"""Paying for an order. The provider is called outside any database transaction, with an
idempotency key fixed per order, so retries and reconciliation can never charge twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from commerce.domain import events
from commerce.domain.events import utcnow
from commerce.domain.orders import Order
from commerce.domain.payments import (
    CAPTURED,
    ChargeResult,
    PaymentOutcomeUnknown,
    PaymentProvider,
)
from commerce.service_layer import inventory, orders
from commerce.service_layer.cart import IncomingLine, fold_lines
from commerce.service_layer.checkout import order_lines_payload
from commerce.service_layer.refunds import PAID_AFTER_CANCEL, REFUND_PENDING, settle_refund
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
OPEN = ("pending", "unknown")
# A payment still open this long after its order was cancelled is asked about by the worker
# (long past any charge in flight, so "never arrived" is the truth, not a race).
RECONCILE_AFTER = timedelta(seconds=60)


def payment_key(order_id: str) -> str:
    return f"pay-{order_id}"


def pay_order(
    uow_factory: UowFactory, provider: PaymentProvider, order_id: str, method: str, source: str
) -> tuple[Order, str]:
    """Charge the order once. Returns the order and the payment status
    (captured | failed | unknown | held)."""
    start = _start(uow_factory(), provider, order_id, method, source)
    if start is not None:
        return start
    with uow_factory() as uow:
        order = orders.load(uow, order_id, None)
    try:
        result = provider.charge(amount=order.total, currency=order.currency, method=method,
                                 source=source, idempotency_key=payment_key(order_id))  # fmt: skip
    except PaymentOutcomeUnknown:
        return _mark_unknown(uow_factory(), order_id)
    return record_outcome(uow_factory, provider, order_id, result)


def _start(
    uow: SqlAlchemyUnitOfWork, provider: PaymentProvider, order_id: str, method: str, source: str
) -> tuple[Order, str] | None:
    """Create the payment row; or, if one exists, return its settled state."""
    with uow:
        order = orders.load(uow, order_id, None)
        existing = uow.payments.for_order(order_id)
        if existing is not None and existing.status not in OPEN:
            return order, str(existing.status)
        if existing is not None and not order.can("pay"):
            # A retry after the order was cancelled: never charge it. Whether an earlier
            # attempt's money arrived is the worker's to find out (reconcile_cancelled).
            return order, str(existing.status)
        if existing is None:
            held = order.status == "on_hold"
            if not held and not order.can("pay"):
                return order, order.status
            # A held order keeps its payment source so an approval can charge it later.
            uow.payments.add({
                "id": order_id, "order_id": order_id, "provider": provider.name,
                "idempotency_key": payment_key(order_id), "status": "held" if held else "pending",
                "amount": order.total, "currency": order.currency, "method": method,
                "token": source,
            })  # fmt: skip
            uow.commit()
            if held:
                return order, "held"
    return None


def _mark_unknown(uow: SqlAlchemyUnitOfWork, order_id: str) -> tuple[Order, str]:
    with uow:
        uow.payments.transition(order_id, OPEN, status="unknown")
        order = orders.load(uow, order_id, None)
        uow.commit()
    return order, "unknown"


def record_outcome(
    uow_factory: UowFactory, provider: PaymentProvider, order_id: str, result: ChargeResult
) -> tuple[Order, str]:
    with uow_factory() as uow:
        _lock_customer(uow, order_id)
        # Locked: a cancel committed while the charge was in flight must be seen here (the
        # money is then refunded), and one waiting behind us sees the order paid. Unlocked,
        # the cancel's version bump rolled back the record of a captured charge.
        order = orders.load(uow, order_id, None, for_update=True)
        card = {"brand": result.brand, "last4": result.last4, "exp_month": result.exp_month,
                "exp_year": result.exp_year, "provider_ref": result.provider_ref}  # fmt: skip
        if result.status == CAPTURED:
            status = _captured(uow, order, card)
        else:
            status = _failed(uow, order, card, result.code or "declined")
        uow.commit()
    if status == "refund_needed":
        return _refund_orphan(uow_factory, provider, order_id)
    return order, status


def _lock_customer(uow: SqlAlchemyUnitOfWork, order_id: str) -> None:
    """Share-lock the order's customer before the order (the lock order user -> cart ->
    order): a declined payment puts the order's lines back in the cart, and holding the
    order while waiting for the cart deadlocked with an erasure holding the cart while
    waiting for the order. Not refused for a disabled account: an outcome is recorded
    whoever the customer is (an order awaiting payment keeps its account from erasure)."""
    customer = orders.load(uow, order_id, None).user_id  # never changes: read unlocked
    uow.users.get(customer, for_share=True)


def _captured(uow: SqlAlchemyUnitOfWork, order: Order, card: dict[str, Any]) -> str:
    if not order.can("pay"):
        # Money for an order that can no longer be paid (cancelled or expired while the charge
        # was in flight, or marked failed by a reconcile that asked too early): owed back, in
        # this same transaction, so a crash before the refund call leaves it to the worker.
        owed = uow.payments.transition(order.id, [*OPEN, "failed"], status=REFUND_PENDING,
                                       **card | {"failure_code": PAID_AFTER_CANCEL})  # fmt: skip
        return "refund_needed" if owed else _status(uow, order.id)
    if not uow.payments.transition(order.id, OPEN, status="captured", **card):
        return _status(uow, order.id)
    previous = order.apply("pay")
    uow.orders.save(order)
    inventory.commit_sale(uow, order.id)
    row = uow.payments.for_order(order.id)
    uow.emit(
        events.PaymentCaptured(user_id=order.user_id, order_id=order.id, amount=order.total,
                               currency=order.currency, method=str(row.method) if row else "",
                               lines=order_lines_payload(order)),
        events.OrderStatusChanged(user_id=order.user_id, order_id=order.id, previous=previous,
                                  status=order.status),
    )  # fmt: skip
    return "captured"


def _failed(uow: SqlAlchemyUnitOfWork, order: Order, card: dict[str, Any], code: str) -> str:
    if not uow.payments.transition(order.id, OPEN, status="failed", failure_code=code, **card):
        return _status(uow, order.id)
    if order.can("fail_payment"):
        previous = order.apply("fail_payment")
        uow.orders.save(order)
        inventory.release(uow, order.id, "payment_failed")
        _restore_cart(uow, order)
        uow.emit(events.OrderStatusChanged(user_id=order.user_id, order_id=order.id,
                                           previous=previous, status=order.status))  # fmt: skip
    uow.emit(events.PaymentFailed(user_id=order.user_id, order_id=order.id, code=code))
    return "failed"


def _status(uow: SqlAlchemyUnitOfWork, order_id: str) -> str:
    """The payment's status as it stands (another outcome got there first)."""
    return uow.payments.statuses([order_id]).get(order_id, "unknown")


def _restore_cart(uow: SqlAlchemyUnitOfWork, order: Order) -> None:
    """A declined payment leaves the shopper's cart as it was before checkout: the order's
    lines go back into it, by the rules of a cart merge."""
    incoming = (
        IncomingLine(line.product_id, line.quantity, order.currency) for line in order.lines
    )
    fold_lines(uow, uow.carts.for_user(order.user_id), incoming)


def _refund_orphan(
    uow_factory: UowFactory, provider: PaymentProvider, order_id: str
) -> tuple[Order, str]:
    """Money arrived for an order that can no longer be paid (already ``refund_pending``, in
    the transaction that recorded it): give it back."""
    with uow_factory() as uow:
        order = orders.load(uow, order_id, None)
    return order, settle_refund(uow_factory, provider, order_id, PAID_AFTER_CANCEL)


def reconcile(
    uow_factory: UowFactory, provider: PaymentProvider, order_id: str, now: datetime | None = None
) -> str:
    """Settle an open outcome by asking the provider (never by charging again). Returns the
    payment's status; still ``pending`` or ``unknown`` while the provider has no record of a
    charge begun less than ``RECONCILE_AFTER`` ago (it may still be in flight: calling it
    "not received" then would fail an order whose money is on its way)."""
    result = provider.find_charge(payment_key(order_id))
    if result is None:
        with uow_factory() as uow:
            row = uow.payments.for_order(order_id)
        if row is not None and row.status in OPEN and not _quiet_since(row, now):
            return str(row.status)
        result = ChargeResult(status="declined", provider_ref=None, code="not_received")
    return record_outcome(uow_factory, provider, order_id, result)[1]


def _quiet_since(row: Any, now: datetime | None) -> bool:
    """Whether the payment has not changed for ``RECONCILE_AFTER``."""
    changed = row.updated_at
    if changed.tzinfo is None:  # SQLite hands back naive UTC
        changed = changed.replace(tzinfo=UTC)
    return bool(changed <= (now or utcnow()) - RECONCILE_AFTER)


def approve_held(
    uow_factory: UowFactory, provider: PaymentProvider, order_id: str
) -> tuple[Order, str]:
    """A reviewer cleared a held order: it returns to pending payment and is charged with
    the payment source given at checkout."""
    with uow_factory() as uow:
        order = orders.load(uow, order_id, None, for_update=True)
        previous = order.apply("approve")
        uow.orders.save(order)
        uow.payments.transition(order_id, ["held"], status="pending")
        row = uow.payments.for_order(order_id)
        uow.emit(events.OrderStatusChanged(user_id=order.user_id, order_id=order_id,
                                           previous=previous, status=order.status))  # fmt: skip
        uow.commit()
    method, source = (str(row.method), str(row.token)) if row else ("card", "")
    return pay_order(uow_factory, provider, order_id, method, source)


def reconcile_cancelled(
    uow_factory: UowFactory, provider: PaymentProvider, now: datetime | None = None,
    limit: int = 100,
) -> int:  # fmt: skip
    """Settle the open payments of orders cancelled while the charge's outcome was unknown:
    money that arrived after all is refunded, a charge that never arrived is marked failed.
    Returns how many were asked about (run by ``emporium worker``)."""
    now = now or utcnow()
    with uow_factory() as uow:
        due = uow.payments.open_of_cancelled_orders(now - RECONCILE_AFTER, limit)
    for tried, order_id in enumerate(due, start=1):
        try:
            reconcile(uow_factory, provider, order_id, now)
        except PaymentOutcomeUnknown:  # silent: the rest wait for the next pass
            log.warning("payment of cancelled order %s still unknown; retrying later", order_id)
            return tried
    return len(due)
