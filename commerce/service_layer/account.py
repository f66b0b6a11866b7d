"""What an account holds, for its owner: the data export (``GET /users/me/export``) and
the erasure (``DELETE /users/me``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import OperationalError

from commerce.adapters.db import is_lock_timeout
from commerce.adapters.orm import as_utc
from commerce.domain import events
from commerce.domain.cart import CartView
from commerce.domain.erasure import ERASED_ADDRESS, blocks_erasure, erased_email, is_erased
from commerce.domain.errors import (
    AccountBusy,
    AccountHasOpenOrders,
    AuthenticationFailed,
    InvalidToken,
    UserNotFound,
)
from commerce.domain.events import utcnow
from commerce.domain.orders import Order
from commerce.domain.reviews import Review
from commerce.domain.users import User
from commerce.service_layer.auth import AuthConfig, reauthenticate
from commerce.service_layer.rate_limit import LoginRateLimiter
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


@dataclasses.dataclass(frozen=True)
class PaymentRecord:
    """A payment as its payer may see it: never the provider's token or idempotency key."""

    status: str
    method: str
    amount: Decimal
    refunded_amount: Decimal
    currency: str
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> PaymentRecord:
        return cls(
            status=row.status, method=row.method, amount=row.amount,
            refunded_amount=row.refunded_amount, currency=row.currency, card_brand=row.brand,
            card_last4=row.last4, failure_code=row.failure_code,
            created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SessionRecord:
    """A signed-in session (a live refresh token): when its current token was issued and
    when it runs out."""

    issued_at: datetime
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class AccountData:
    user: User
    orders: list[Order]
    payments: dict[str, PaymentRecord]  # by order id
    reviews: list[Review]
    cart: CartView
    sessions: list[SessionRecord]
    exported_at: datetime


def export_data(uow: SqlAlchemyUnitOfWork, user_id: str) -> AccountData:
    """Everything stored for ``user_id`` that is theirs to see, read as of one moment.

    Nothing is created or changed (a user without a cart gets an empty one in the answer,
    not in the database). Every query is filtered by ``user_id``.

    Raises
    ------
    UserNotFound
        No such active account.
    """
    now = utcnow()
    with uow:
        uow.read_snapshot()
        user = uow.users.get(user_id)
        if user is None or not user.is_active:
            raise UserNotFound("the account no longer exists")
        orders = uow.orders.all_for_user(user_id)
        payments = uow.payments.for_orders([o.id for o in orders])
        cart_id = uow.carts.find_for_user(user_id)
        lines = tuple(uow.carts.lines(cart_id)) if cart_id else ()
        data = AccountData(
            user=user,
            orders=orders,
            payments={order_id: PaymentRecord.of(row) for order_id, row in payments.items()},
            reviews=uow.reviews.by_user(user_id),
            cart=CartView(cart_id or "", user_id, lines),
            sessions=[
                SessionRecord(as_utc(r.created_at), as_utc(r.expires_at))
                for r in uow.refresh_tokens.live_for_user(user_id, now)
            ],
            exported_at=now,
        )
    return data


def is_erased_account(uow: SqlAlchemyUnitOfWork, user_id: str) -> bool:
    """Whether ``user_id`` names an erased account (False for an id no account has: a
    dataset's user, a visitor)."""
    with uow:
        user = uow.users.get(user_id)
    return user is not None and is_erased(user)


@dataclasses.dataclass(frozen=True)
class AccountDeletion:
    user_id: str
    current_password: str
    address: str
    request_id: str | None = None


def delete_account(
    uow: SqlAlchemyUnitOfWork, auth: AuthConfig, limiter: LoginRateLimiter, cmd: AccountDeletion
) -> None:
    """Erase the account (the right to erasure), in one transaction, once its password is
    checked as :func:`~commerce.service_layer.auth.change_password` checks it.

    What names the person goes: email (a placeholder takes its place, so the address can
    register again), country, password, every session, the cart, the reviews (their ratings
    are withdrawn with ``ReviewDeleted``, as a customer's own delete does), the stored
    Idempotency-Key responses, and on kept orders the shipping address and the card's token,
    last four and expiry. Orders stay, with amounts, lines, dates and country, under the
    pseudonymous user id: the shop must keep them for its accounts.

    Raises
    ------
    InvalidToken
        The account no longer exists or is disabled.
    RateLimited, AuthenticationFailed
        As for a password change: too many attempts, or the password is wrong.
    AccountHasOpenOrders
        An order still needs its customer (``erasure.blocks_erasure``); nothing changed.
    AccountBusy
        The account's rows stayed locked by another change past the lock wait
        (``PG_LOCK_TIMEOUT_MS``); nothing changed, asking again is safe.
    """
    user = reauthenticate(uow, auth, limiter, (cmd.user_id, cmd.current_password), cmd.address)
    try:
        _erase(uow, user, cmd)
    except OperationalError as e:
        # Another change holding the account (a long checkout, a stuck session) is the
        # caller's to wait out, not a database outage (503) or a bug (500).
        if not is_lock_timeout(e):
            raise
        raise AccountBusy() from e


def _erase(uow: SqlAlchemyUnitOfWork, user: User, cmd: AccountDeletion) -> None:
    with uow:
        _lock_account(uow, user)
        cart_id = uow.carts.find_for_user(user.id)
        if cart_id is not None:
            uow.carts.lock(cart_id)  # a checkout of it in flight ends first: its order is seen
        order_ids = _finished_orders(uow, user.id)
        if cart_id is not None:
            uow.carts.delete_cart(cart_id)
        uow.orders.replace_addresses(order_ids, dict(ERASED_ADDRESS))
        uow.payments.forget_cards(order_ids)
        _delete_reviews(uow, user.id, cmd.request_id)
        uow.idempotency.delete_scope(user.id)
        now = utcnow()
        uow.refresh_tokens.revoke_all(user.id, now)
        uow.password_resets.revoke_for_user(user.id, now)  # a mailed link dies with it
        uow.users.erase(user.id, erased_email(user.id), now)
        uow.emit(events.AccountDeleted(user_id=user.id, request_id=cmd.request_id))
        uow.commit()


def _lock_account(uow: SqlAlchemyUnitOfWork, checked: User) -> None:
    """Lock the user row first (login, refresh and checkout share-lock it: one in flight
    ends before, one arriving waits and then finds the account gone) and make sure the
    password checked outside the transaction is still the account's."""
    user = uow.users.get(checked.id, for_update=True)
    if user is None or not user.is_active:
        raise InvalidToken("the account behind this token does not exist or is disabled")
    if user.password_hash != checked.password_hash:
        raise AuthenticationFailed("the current password is wrong", {"field": "current_password"})


def _finished_orders(uow: SqlAlchemyUnitOfWork, user_id: str) -> list[str]:
    """Lock the user's orders and return their ids, or raise if one is not finished."""
    statuses = uow.orders.lock_for_user(user_id)
    payments = uow.payments.statuses(list(statuses))
    still_open = sorted(i for i, s in statuses.items() if blocks_erasure(s, payments.get(i)))
    if still_open:
        raise AccountHasOpenOrders(still_open)
    return list(statuses)


def _delete_reviews(uow: SqlAlchemyUnitOfWork, user_id: str, request_id: str | None) -> None:
    for review in uow.reviews.by_user(user_id):
        uow.emit(events.ReviewDeleted(user_id=user_id, product_id=review.sku,
                                      request_id=request_id, rating=review.rating))  # fmt: skip
    uow.reviews.delete_by_user(user_id)
