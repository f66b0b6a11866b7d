"""The data export's document: stable field names, ISO 8601 times (UTC), money as decimal
strings in the order's currency, as everywhere else in the API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from commerce.domain.orders import Order
from commerce.domain.users import MAX_PASSWORD
from commerce.service_layer.account import AccountData, PaymentRecord, SessionRecord
from serving.schemas.base import InputModel
from serving.schemas.cart import CartPublic
from serving.schemas.orders import OrderPublic
from serving.schemas.reviews import ReviewPublic

EXPORT_FORMAT = 1


class AccountDeletionRequest(InputModel):
    """``DELETE /users/me``: the current password again, so a stolen access token alone
    cannot erase the account."""

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class ProfileExport(BaseModel):
    """The account, without its password hash."""

    id: str
    email: str | None
    role: str
    country: str | None
    created_at: datetime
    password_changed_at: datetime | None


class PaymentExport(BaseModel):
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
    def of(cls, record: PaymentRecord) -> PaymentExport:
        return cls.model_validate(record, from_attributes=True)


class OrderExport(OrderPublic):
    """An order as ``GET /orders/{id}`` answers it, plus where it went and its payment."""

    shipping_address: dict[str, Any]
    updated_at: datetime
    payment: PaymentExport | None

    @classmethod
    def export(cls, order: Order, payment: PaymentRecord | None) -> OrderExport:
        public = OrderPublic.of(order, payment.status if payment else None).model_dump()
        return cls(
            **public,
            shipping_address=order.shipping_address,
            updated_at=order.updated_at,
            payment=PaymentExport.of(payment) if payment else None,
        )


class SessionExport(BaseModel):
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, record: SessionRecord) -> SessionExport:
        return cls(issued_at=record.issued_at, expires_at=record.expires_at)


class AccountExport(BaseModel):
    format_version: int = EXPORT_FORMAT
    exported_at: datetime
    profile: ProfileExport
    orders: list[OrderExport]
    reviews: list[ReviewPublic]
    cart: CartPublic
    sessions: list[SessionExport]

    @classmethod
    def of(cls, data: AccountData) -> AccountExport:
        return cls(
            exported_at=data.exported_at,
            profile=ProfileExport.model_validate(data.user, from_attributes=True),
            orders=[OrderExport.export(o, data.payments.get(o.id)) for o in data.orders],
            reviews=[ReviewPublic.of(r) for r in data.reviews],
            cart=CartPublic.of(data.cart),
            sessions=[SessionExport.of(s) for s in data.sessions],
        )
