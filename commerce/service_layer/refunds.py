"""Giving money back: a refund is owed (``refund_pending``) in the transaction that cancels or
refunds the order, then settled with the provider after the commit, under an idempotency key
fixed per order, so asking again never refunds twice; the worker retries what the provider
left unanswered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from commerce.domain import events
from commerce.domain.errors import IllegalTransition
from commerce.domain.events import utcnow
from commerce.domain.orders import Order
from commerce.domain.payments import CAPTURED, PaymentOutcomeUnknown, PaymentProvider
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
REFUND_PENDING, REFUND_FAILED = "refund_pending", "refund_failed"
REFUND_RETRY_AFTER = timedelta(seconds=30)  # the worker asks a silent provider again after this
PAID_AFTER_CANCEL = "paid_after_cancel"  # the refund's reason, kept on the payment for retries


def refund_key(order_id: str) -> str:
    return f"refund-{order_id}"


def begin_refund(uow: SqlAlchemyUnitOfWork, order_id: str) -> bool:
    """In the caller's transaction (the one that cancels or refunds the order): the captured
    payment is now owed back. ``settle_refund`` pays it after the commit; if the provider
    does not answer, the payment stays ``refund_pending`` and the worker asks again."""
    return uow.payments.transition(order_id, [CAPTURED], status=REFUND_PENDING)


def settle_refund(
    uow_factory: UowFactory, provider: PaymentProvider, order_id: str, reason: str | None = None
) -> str:
    """Ask the provider to return a ``refund_pending`` payment (the key is fixed per order, so
    asking again never refunds twice). Returns the payment's status afterwards: ``refunded``,
    ``refund_pending`` (no answer; retried later) or ``refund_failed`` (the provider refused:
    a person must look). ``reason`` goes on the ``OrderRefunded`` event; retries derive it
    from the order."""
    with uow_factory() as uow:
        order = uow.orders.require(order_id)
        row = uow.payments.for_order(order_id)
    if row is None or row.status != REFUND_PENDING:
        return str(row.status) if row else "none"
    try:
        result = provider.refund(provider_ref=str(row.provider_ref), amount=order.total,
                                 idempotency_key=refund_key(order_id))  # fmt: skip
    except PaymentOutcomeUnknown as e:
        log.warning("refund of order %s not confirmed (%s); the worker will retry", order_id, e)
        with uow_factory() as uow:
            uow.payments.transition(order_id, [REFUND_PENDING])  # restarts the retry clock
            uow.commit()
        return REFUND_PENDING
    with uow_factory() as uow:
        if result.status != "refunded":
            # refund_failed says it was refused; a late payment's reason stays for the retry.
            code = PAID_AFTER_CANCEL if row.failure_code == PAID_AFTER_CANCEL else "refund_refused"
            uow.payments.transition(order_id, [REFUND_PENDING], status=REFUND_FAILED,
                                    failure_code=code)  # fmt: skip
            log.error("the provider refused to refund order %s", order_id)
            uow.commit()
            return REFUND_FAILED
        if uow.payments.transition(order_id, [REFUND_PENDING], status="refunded",
                                   refunded_amount=order.total):  # fmt: skip
            why = reason or _refund_reason(order, row)
            uow.emit(events.OrderRefunded(user_id=order.user_id, order_id=order_id,
                                          amount=order.total, currency=order.currency,
                                          reason=why))  # fmt: skip
        uow.commit()
    return "refunded"


def _refund_reason(order: Order, row: Any) -> str:
    if row.failure_code == PAID_AFTER_CANCEL:
        return PAID_AFTER_CANCEL
    return "returned" if order.status == "refunded" else "cancelled"


def retry_refunds(
    uow_factory: UowFactory, provider: PaymentProvider, now: datetime | None = None,
    limit: int = 100,
) -> int:  # fmt: skip
    """Settle refunds the provider left unanswered at least ``REFUND_RETRY_AFTER`` ago;
    returns how many were tried (run by ``emporium worker``). The pass stops at the first
    refund the provider leaves unanswered again."""
    with uow_factory() as uow:
        due = uow.payments.due(REFUND_PENDING, (now or utcnow()) - REFUND_RETRY_AFTER, limit)
    for tried, order_id in enumerate(due, start=1):
        if settle_refund(uow_factory, provider, order_id) == REFUND_PENDING:
            return tried  # no answer: the rest wait for the next pass, not a time-out each
    return len(due)


def retry_refund(uow_factory: UowFactory, provider: PaymentProvider, order_id: str) -> str:
    """Ask the provider again for a refund it refused (``refund_failed``, once a person has
    dealt with the cause) or has not answered yet (``refund_pending``). Returns the payment
    status afterwards.

    Raises
    ------
    IllegalTransition
        If the order's payment is not owed back.
    """
    with uow_factory() as uow:
        uow.orders.require(order_id)
        row = uow.payments.for_order(order_id)
        current = str(row.status) if row else "none"
        if current not in (REFUND_PENDING, REFUND_FAILED):
            raise IllegalTransition("payment", current, "retry the refund of")
        kept = PAID_AFTER_CANCEL if row and row.failure_code == PAID_AFTER_CANCEL else None
        uow.payments.transition(order_id, [REFUND_FAILED], status=REFUND_PENDING,
                                failure_code=kept)  # fmt: skip
        uow.commit()
    return settle_refund(uow_factory, provider, order_id)
