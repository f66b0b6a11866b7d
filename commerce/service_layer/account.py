"""What an account holds, for its owner: the data export (``GET /users/me/export``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from commerce.adapters.orm import as_utc
from commerce.domain.cart import CartView
from commerce.domain.errors import UserNotFound
from commerce.domain.events import utcnow
from commerce.domain.orders import Order
from commerce.domain.reviews import Review
from commerce.domain.users import User
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
