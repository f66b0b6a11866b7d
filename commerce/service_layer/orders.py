"""Order lifecycle after checkout: fulfilment, cancellation, returns and refunds."""

from __future__ import annotations

from collections.abc import Callable

from commerce.domain import events
from commerce.domain.orders import PACKED, PAID, SHIPPED, STOCK_RESERVED_STATES, Order
from commerce.domain.payments import PaymentProvider
from commerce.domain.products import Product
from commerce.service_layer import inventory, refunds
from commerce.service_layer.account_lock import share_lock_account
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
OWNER_ACTIONS = frozenset({"cancel", "request_return"})


def load(
    uow: SqlAlchemyUnitOfWork, order_id: str, user_id: str | None, for_update: bool = False
) -> Order:
    """The order if ``user_id`` owns it (None = an admin); others get 404, not 403, so ids
    of other people's orders cannot be probed. ``for_update`` holds its row until commit, so
    changes of one order (a cancel, a payment's outcome, a shipment) run one after the other
    instead of failing each other with a version conflict."""
    return uow.orders.require(order_id, user_id=user_id, for_update=for_update)


def _owner_first(uow: SqlAlchemyUnitOfWork, user_id: str | None) -> None:
    """A customer's change of their own order share-locks their user row first (the lock
    order user -> order): arriving during an erasure, it waits and finds the account gone,
    instead of reopening an order the erasure let go (a return requested after it)."""
    if user_id is not None:
        share_lock_account(uow, user_id)


def _changed(uow: SqlAlchemyUnitOfWork, order: Order, previous: str) -> None:
    uow.orders.save(order)
    uow.emit(events.OrderStatusChanged(user_id=order.user_id, order_id=order.id,
                                       previous=previous, status=order.status))  # fmt: skip


def advance(uow: SqlAlchemyUnitOfWork, order_id: str, action: str, user_id: str | None) -> Order:
    """pack, deliver, request_return (owner), approve a held order."""
    with uow:
        _owner_first(uow, user_id)
        order = load(uow, order_id, user_id, for_update=True)
        previous = order.apply(action)
        _changed(uow, order, previous)
        uow.commit()
    return order


def confirm_delivery(uow: SqlAlchemyUnitOfWork, order_id: str) -> Order:
    """The carrier's "delivered": a shipped order becomes delivered; an order in any other
    state is left as it is, so a repeated or late notice (carriers retry) changes nothing."""
    with uow:
        order = load(uow, order_id, None, for_update=True)
        if order.status == SHIPPED:
            previous = order.apply("deliver")
            _changed(uow, order, previous)
            uow.commit()
    return order


def ship(uow: SqlAlchemyUnitOfWork, order_id: str, carrier: str, tracking_number: str) -> Order:
    with uow:
        order = load(uow, order_id, None, for_update=True)
        order.ship(carrier, tracking_number)  # a number in use: save raises TrackingNumberInUse
        _changed(uow, order, PACKED)
        uow.emit(events.OrderShipped(user_id=order.user_id, order_id=order.id, carrier=carrier,
                                     tracking_number=tracking_number))  # fmt: skip
        uow.commit()
    return order


def _lines(uow: SqlAlchemyUnitOfWork, order: Order) -> list[tuple[Product, int]]:
    products = uow.products.get_many(line.sku for line in order.lines)
    return [(products[line.sku], line.quantity) for line in order.lines if line.sku in products]


def cancel(
    uow_factory: UowFactory, provider: PaymentProvider | None, order_id: str,
    user_id: str | None, reason: str = "customer_request",
) -> Order:  # fmt: skip
    """Cancel before shipping: reserved stock is released, sold stock restocked, money
    refunded (or, if the provider does not answer, owed: the payment stays
    ``refund_pending`` and the worker retries)."""
    with uow_factory() as uow:
        _owner_first(uow, user_id)
        order = load(uow, order_id, user_id, for_update=True)
        previous = order.apply("cancel")
        _changed(uow, order, previous)
        if previous in STOCK_RESERVED_STATES:
            inventory.release(uow, order_id, "cancelled")
        elif previous in (PAID, PACKED):
            inventory.restock(uow, order_id, _lines(uow, order))
        # Never charged; its payment source is no longer needed.
        uow.payments.transition(order_id, ["held"], status="cancelled", token=None)
        # Owed whether or not a provider is at hand: without one the payment waits,
        # refund_pending, for the worker's retries instead of staying captured unnoticed.
        owed = refunds.begin_refund(uow, order_id)
        uow.emit(events.OrderCancelled(user_id=order.user_id, order_id=order_id,
                                       previous=previous, reason=reason))  # fmt: skip
        uow.commit()
    if owed and provider is not None:
        refunds.settle_refund(uow_factory, provider, order_id, "cancelled")
    return order


def receive_return(uow: SqlAlchemyUnitOfWork, order_id: str) -> Order:
    with uow:
        order = load(uow, order_id, None, for_update=True)
        previous = order.apply("receive_return")
        _changed(uow, order, previous)
        inventory.restock(uow, order_id, _lines(uow, order))
        uow.commit()
    return order


def refund(uow_factory: UowFactory, provider: PaymentProvider | None, order_id: str) -> Order:
    """Refund a received return: the order is ``refunded`` and its payment is owed back in
    the same transaction; the money goes back as in ``cancel``."""
    with uow_factory() as uow:
        order = load(uow, order_id, None, for_update=True)
        previous = order.apply("refund")
        _changed(uow, order, previous)
        owed = refunds.begin_refund(uow, order_id)  # as in cancel, with or without provider
        uow.commit()
    if owed and provider is not None:
        refunds.settle_refund(uow_factory, provider, order_id, "returned")
    return order
