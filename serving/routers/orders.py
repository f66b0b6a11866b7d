"""A customer's own orders: list, read, cancel, ask to return, settle an unknown payment.
Another user's order id answers 404, exactly like an id that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from commerce.domain.orders import Order
from commerce.service_layer import orders, payment
from serving.routers.deps import Claims, new_uow, payment_provider
from serving.schemas.orders import OrderPage, OrderPublic

router = APIRouter(prefix="/orders", tags=["orders"])


def order_out(request: Request, order: Order) -> OrderPublic:
    """The order as answered, with its payment's current status."""
    with new_uow(request) as uow:
        row = uow.payments.for_order(order.id)
    return OrderPublic.of(order, str(row.status) if row else None)


def orders_out(request: Request, items: list[Order]) -> list[OrderPublic]:
    """A page of orders with their payments' statuses (one query for the page)."""
    with new_uow(request) as uow:
        statuses = uow.payments.statuses([o.id for o in items])
    return [OrderPublic.of(o, statuses.get(o.id)) for o in items]


@router.get("", response_model=OrderPage)
def my_orders(
    request: Request,
    claims: Claims,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderPage:
    with new_uow(request) as uow:
        items, total = uow.orders.list_page(claims.user_id, page, size)
    return OrderPage(items=orders_out(request, items), page=page, size=size, total=total)


@router.get("/{order_id}", response_model=OrderPublic)
def my_order(order_id: str, request: Request, claims: Claims) -> OrderPublic:
    with new_uow(request) as uow:
        order = orders.load(uow, order_id, claims.user_id)
    return order_out(request, order)


@router.post("/{order_id}/cancel", response_model=OrderPublic)
def cancel(order_id: str, request: Request, claims: Claims) -> OrderPublic:
    """Before shipping only (409 ``illegal_transition`` afterwards)."""
    order = orders.cancel(lambda: new_uow(request), payment_provider(request), order_id,
                          claims.user_id)  # fmt: skip
    return order_out(request, order)


@router.post("/{order_id}/return", response_model=OrderPublic)
def request_return(order_id: str, request: Request, claims: Claims) -> OrderPublic:
    order = orders.advance(new_uow(request), order_id, "request_return", claims.user_id)
    return order_out(request, order)


@router.post("/{order_id}/reconcile", response_model=OrderPublic)
def reconcile(order_id: str, request: Request, claims: Claims) -> OrderPublic:
    """Ask the provider what happened to a payment whose outcome is unknown."""
    with new_uow(request) as uow:
        orders.load(uow, order_id, claims.user_id)
    with new_uow(request) as uow:
        row = uow.payments.for_order(order_id)
    if row is not None and row.status in payment.OPEN:
        payment.reconcile(lambda: new_uow(request), payment_provider(request), order_id)
    with new_uow(request) as uow:
        order = orders.load(uow, order_id, claims.user_id)
    return order_out(request, order)
