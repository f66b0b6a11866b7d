"""Cart use cases. A cart belongs to a user (from the access token) or to whoever holds its
anonymous token; no call takes a cart id from the client, so no one can name another's cart."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from commerce.adapters.security import hash_refresh_token, new_refresh_token
from commerce.domain import events
from commerce.domain.cart import MAX_LINE_QUANTITY, MAX_LINES, CartView, validate_quantity
from commerce.domain.errors import (
    CartNotFound,
    InsufficientStock,
    InvalidInput,
    ProductNotFound,
    ProductUnavailable,
)
from commerce.domain.products import Product
from commerce.service_layer.account_lock import share_lock_account
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


@dataclasses.dataclass(frozen=True)
class CartOwner:
    user_id: str | None = None
    token: str | None = None
    request_id: str | None = None


def _cart_id(uow: SqlAlchemyUnitOfWork, owner: CartOwner) -> str:
    """The owner's cart id (a user's is created on first use). Call first in the
    transaction: a user's row is share-locked before the cart, so an erasure in flight
    cannot leave a cart behind on the erased account."""
    if owner.user_id:
        share_lock_account(uow, owner.user_id)
        return uow.carts.for_user(owner.user_id)
    if owner.token:
        found = uow.carts.by_token(hash_refresh_token(owner.token))
        if found:
            return found
    raise CartNotFound("no cart: log in or send a valid X-Cart-Token")


def _session(owner: CartOwner, cart_id: str) -> str | None:
    return None if owner.user_id else cart_id


def new_anonymous_cart(uow: SqlAlchemyUnitOfWork) -> str:
    """Create an anonymous cart; returns its secret token (only its hash is stored)."""
    token, token_hash = new_refresh_token()
    with uow:
        uow.carts.create_anonymous(token_hash)
        uow.commit()
    return token


def view(uow: SqlAlchemyUnitOfWork, owner: CartOwner) -> CartView:
    with uow:
        cart_id = _cart_id(uow, owner)
        lines = uow.carts.lines(cart_id)
        uow.commit()
    return CartView(cart_id, owner.user_id, tuple(lines))


def _sellable(uow: SqlAlchemyUnitOfWork, sku: str) -> Product:
    product = uow.products.get(sku)
    if product is None:
        raise ProductNotFound(f"no product with sku {sku!r}", {"sku": sku})
    if not product.is_active:
        raise ProductUnavailable("the product is no longer sold", {"sku": sku})
    return product


def _check(uow: SqlAlchemyUnitOfWork, cart_id: str, product: Product, quantity: int) -> None:
    """Quantity, stock and single-currency rules for putting ``quantity`` in the cart."""
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidInput(f"at most {MAX_LINE_QUANTITY} of one product", {"field": "quantity"})
    assert product.id is not None
    level = uow.inventory.level(product.id)
    available = level.available if level else 0
    if quantity > available:
        raise InsufficientStock({product.sku: available})
    lines = uow.carts.lines(cart_id)
    others = [line for line in lines if line.product_id != product.id]
    if len(others) >= MAX_LINES:
        raise InvalidInput(f"a cart holds at most {MAX_LINES} products", {"field": "sku"})
    if others and others[0].currency != product.currency:
        raise InvalidInput("a cart holds one currency", {"field": "sku"})


def add_item(uow: SqlAlchemyUnitOfWork, owner: CartOwner, sku: str, quantity: int) -> CartView:
    validate_quantity(quantity)
    with uow:
        cart_id = _cart_id(uow, owner)
        uow.carts.lock(cart_id)  # edits of one cart run one after the other: none is lost
        product = _sellable(uow, sku)
        assert product.id is not None
        total = uow.carts.quantity_of(cart_id, product.id) + quantity
        _check(uow, cart_id, product, total)
        uow.carts.set_quantity(cart_id, product.id, total)
        uow.emit(events.CartItemAdded(
            user_id=owner.user_id, session_id=_session(owner, cart_id), product_id=sku,
            request_id=owner.request_id, cart_id=cart_id, quantity=quantity,
            cart_quantity=total, unit_price=product.price, currency=product.currency,
        ))  # fmt: skip
        lines = uow.carts.lines(cart_id)
        uow.commit()
    return CartView(cart_id, owner.user_id, tuple(lines))


def set_quantity(uow: SqlAlchemyUnitOfWork, owner: CartOwner, sku: str, quantity: int) -> CartView:
    validate_quantity(quantity)
    with uow:
        cart_id = _cart_id(uow, owner)
        uow.carts.lock(cart_id)  # edits of one cart run one after the other: none is lost
        product = _sellable(uow, sku)
        assert product.id is not None
        if uow.carts.quantity_of(cart_id, product.id) == 0:
            raise ProductNotFound("the product is not in the cart", {"sku": sku})
        _check(uow, cart_id, product, quantity)
        uow.carts.set_quantity(cart_id, product.id, quantity)
        uow.emit(events.CartItemUpdated(
            user_id=owner.user_id, session_id=_session(owner, cart_id), product_id=sku,
            request_id=owner.request_id, cart_id=cart_id, quantity=quantity,
        ))  # fmt: skip
        lines = uow.carts.lines(cart_id)
        uow.commit()
    return CartView(cart_id, owner.user_id, tuple(lines))


def remove_item(uow: SqlAlchemyUnitOfWork, owner: CartOwner, sku: str) -> CartView:
    with uow:
        cart_id = _cart_id(uow, owner)
        uow.carts.lock(cart_id)
        product = uow.products.get(sku)
        if product is None or product.id is None or not uow.carts.remove(cart_id, product.id):
            raise ProductNotFound("the product is not in the cart", {"sku": sku})
        uow.emit(events.CartItemRemoved(
            user_id=owner.user_id, session_id=_session(owner, cart_id), product_id=sku,
            request_id=owner.request_id, cart_id=cart_id,
        ))  # fmt: skip
        lines = uow.carts.lines(cart_id)
        uow.commit()
    return CartView(cart_id, owner.user_id, tuple(lines))


def merge_anonymous(uow: SqlAlchemyUnitOfWork, token: str, user_id: str) -> CartView:
    """Fold an anonymous cart into the user's (at login): quantities add up, capped at the
    per-line maximum and current stock; the anonymous cart is then deleted."""
    with uow:
        share_lock_account(uow, user_id)  # first: see _cart_id
        cart_id = uow.carts.for_user(user_id)
        uow.carts.lock(cart_id)
        anon_id = uow.carts.by_token(hash_refresh_token(token))
        if anon_id is not None and anon_id != cart_id:
            anonymous = uow.carts.lines(anon_id)
            merged = fold_lines(uow, cart_id, (
                IncomingLine(line.product_id, line.quantity, line.currency, line.available)
                for line in anonymous if line.active
            ))  # fmt: skip
            uow.carts.delete_cart(anon_id)
            uow.emit(events.CartMerged(user_id=user_id, session_id=anon_id, cart_id=cart_id,
                                       from_cart_id=anon_id, lines=merged))  # fmt: skip
        lines = uow.carts.lines(cart_id)
        uow.commit()
    return CartView(cart_id, user_id, tuple(lines))


@dataclasses.dataclass(frozen=True)
class IncomingLine:
    """A line to fold into a cart; ``limit`` caps its quantity (e.g. the stock available)."""

    product_id: int
    quantity: int
    currency: str
    limit: int = MAX_LINE_QUANTITY


def fold_lines(uow: SqlAlchemyUnitOfWork, cart_id: str, incoming: Iterable[IncomingLine]) -> int:
    """Add ``incoming`` to the cart: quantities add up, capped at MAX_LINE_QUANTITY and each
    line's ``limit``. Lines the cart cannot take are left out, as at ``add_item``: another
    currency than the cart's, or a new product once the cart holds MAX_LINES. Returns how many
    lines were added."""
    uow.carts.lock(cart_id)
    mine = uow.carts.lines(cart_id)
    currency = mine[0].currency if mine else None
    products = {line.product_id for line in mine}
    added = 0
    for line in incoming:
        if currency is not None and line.currency != currency:
            continue
        if line.product_id not in products and len(products) >= MAX_LINES:
            continue
        wanted = uow.carts.quantity_of(cart_id, line.product_id) + line.quantity
        quantity = min(wanted, MAX_LINE_QUANTITY, line.limit)
        if quantity > 0:
            uow.carts.set_quantity(cart_id, line.product_id, quantity)
            currency = currency or line.currency
            products.add(line.product_id)
            added += 1
    return added
