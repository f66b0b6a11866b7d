"""The cart: the logged-in user's, or an anonymous one named by its ``X-Cart-Token``.

Quantities are whole numbers from 1 to 99 per product; stock is checked on every change and
again at checkout. Totals are at current prices.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from commerce.service_layer import cart
from serving.routers.deps import Claims, MaybeClaims, new_uow, request_id
from serving.schemas.cart import CartItemAdd, CartItemUpdate, CartPublic, CartTokenBody

router = APIRouter(prefix="/cart", tags=["cart"])
CartToken = Annotated[str | None, Header(alias="X-Cart-Token", max_length=256)]


def _owner(request: Request, claims: MaybeClaims, token: str | None) -> cart.CartOwner:
    user_id = claims.user_id if claims else None
    return cart.CartOwner(user_id=user_id, token=token, request_id=request_id(request))


@router.post("/anonymous", status_code=201, response_model=CartTokenBody)
def new_anonymous_cart(request: Request) -> CartTokenBody:
    """A new anonymous cart. Send its token as ``X-Cart-Token``; it merges into your cart
    when you log in with the same header."""
    return CartTokenBody(cart_token=cart.new_anonymous_cart(new_uow(request)))


@router.get("", response_model=CartPublic)
def get_cart(request: Request, claims: MaybeClaims, token: CartToken = None) -> CartPublic:
    return CartPublic.of(cart.view(new_uow(request), _owner(request, claims, token)))


@router.post("/items", response_model=CartPublic)
def add_item(
    body: CartItemAdd, request: Request, claims: MaybeClaims, token: CartToken = None
) -> CartPublic:
    owner = _owner(request, claims, token)
    return CartPublic.of(cart.add_item(new_uow(request), owner, body.sku, body.quantity))


@router.put("/items/{sku}", response_model=CartPublic)
def set_quantity(
    sku: str, body: CartItemUpdate, request: Request, claims: MaybeClaims, token: CartToken = None
) -> CartPublic:
    owner = _owner(request, claims, token)
    return CartPublic.of(cart.set_quantity(new_uow(request), owner, sku, body.quantity))


@router.delete("/items/{sku}", response_model=CartPublic)
def remove_item(
    sku: str, request: Request, claims: MaybeClaims, token: CartToken = None
) -> CartPublic:
    owner = _owner(request, claims, token)
    return CartPublic.of(cart.remove_item(new_uow(request), owner, sku))


@router.post("/merge", response_model=CartPublic)
def merge(body: CartTokenBody, request: Request, claims: Claims) -> CartPublic:
    """Fold an anonymous cart into the logged-in user's cart."""
    return CartPublic.of(cart.merge_anonymous(new_uow(request), body.cart_token, claims.user_id))
