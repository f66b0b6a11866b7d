"""Order administration (admins only): every order, fulfilment, returns and refunds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from commerce.domain.orders import STATUSES
from commerce.service_layer import orders, payment, refunds
from serving.errors import ApiError
from serving.routers.deps import AdminClaims, new_uow, payment_provider
from serving.routers.orders import order_out, orders_out
from serving.schemas.orders import OrderPage, OrderPublic, ShipmentIn

router = APIRouter(prefix="/admin/orders", tags=["orders admin"])


@router.get("", response_model=OrderPage)
def all_orders(
    request: Request,
    _: AdminClaims,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    status: Annotated[str | None, Query(max_length=24)] = None,
) -> OrderPage:
    if status is not None and status not in STATUSES:
        raise ApiError("validation_error", f"unknown order status {status!r}", 422,
                       {"field": "status", "allowed": sorted(STATUSES)})  # fmt: skip
    with new_uow(request) as uow:
        items, total = uow.orders.list_page(None, page, size, status)
    return OrderPage(items=orders_out(request, items), page=page, size=size, total=total)


@router.get("/{order_id}", response_model=OrderPublic)
def get_order(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    with new_uow(request) as uow:
        order = orders.load(uow, order_id, None)
    return order_out(request, order)


@router.post("/{order_id}/approve", response_model=OrderPublic)
def approve(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    """Clear an order held by the fraud screen: it is charged now (reject = cancel)."""
    order, status = payment.approve_held(
        lambda: new_uow(request), payment_provider(request), order_id
    )
    return OrderPublic.of(order, status)


@router.post("/{order_id}/pack", response_model=OrderPublic)
def pack(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    return order_out(request, orders.advance(new_uow(request), order_id, "pack", None))


@router.post("/{order_id}/ship", response_model=OrderPublic)
def ship(order_id: str, body: ShipmentIn, request: Request, _: AdminClaims) -> OrderPublic:
    order = orders.ship(new_uow(request), order_id, body.carrier, body.tracking_number)
    return order_out(request, order)


@router.post("/{order_id}/deliver", response_model=OrderPublic)
def deliver(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    return order_out(request, orders.advance(new_uow(request), order_id, "deliver", None))


@router.post("/{order_id}/cancel", response_model=OrderPublic)
def cancel(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    order = orders.cancel(lambda: new_uow(request), payment_provider(request), order_id, None,
                          "admin")  # fmt: skip
    return order_out(request, order)


@router.post("/{order_id}/receive-return", response_model=OrderPublic)
def receive_return(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    return order_out(request, orders.receive_return(new_uow(request), order_id))


@router.post("/{order_id}/refund", response_model=OrderPublic)
def refund(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    order = orders.refund(lambda: new_uow(request), payment_provider(request), order_id)
    return order_out(request, order)


@router.post("/{order_id}/retry-refund", response_model=OrderPublic)
def retry_refund(order_id: str, request: Request, _: AdminClaims) -> OrderPublic:
    """Ask the provider again for a refund it refused or left unanswered (409 when the
    order's payment is not owed back)."""
    refunds.retry_refund(lambda: new_uow(request), payment_provider(request), order_id)
    with new_uow(request) as uow:
        order = orders.load(uow, order_id, None)
    return order_out(request, order)
