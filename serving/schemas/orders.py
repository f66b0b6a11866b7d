from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from commerce.domain.orders import Order
from serving.schemas.base import InputModel

Text = Annotated[str, Field(min_length=1, max_length=200)]


class Address(InputModel):
    name: Text
    line1: Text
    line2: str | None = Field(default=None, max_length=200)
    city: Text
    postcode: str = Field(min_length=1, max_length=20)


class PaymentMethodIn(InputModel):
    """A token from the payment provider, a UPI id or a wallet id — never a card number
    (unknown fields such as ``number`` or ``cvc`` are refused without being echoed)."""

    method: Literal["card", "upi", "wallet"]
    token: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")


class CheckoutCreate(InputModel):
    country: str = Field(pattern=r"^[A-Za-z]{2}$")
    shipping_address: Address
    payment: PaymentMethodIn
    expected_total: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)


class OrderLinePublic(BaseModel):
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


class OrderPublic(BaseModel):
    id: str
    status: str
    payment_status: str | None = None
    currency: str
    lines: list[OrderLinePublic]
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    country: str
    carrier: str | None
    tracking_number: str | None
    placed_at: datetime

    @classmethod
    def of(cls, order: Order, payment_status: str | None = None) -> OrderPublic:
        data = {k: getattr(order, k) for k in cls.model_fields if hasattr(order, k)}
        data["lines"] = [OrderLinePublic.model_validate(ln, from_attributes=True)
                         for ln in order.lines]  # fmt: skip
        return cls(**data, payment_status=payment_status)


class OrderPage(BaseModel):
    items: list[OrderPublic]
    page: int
    size: int
    total: int


class ShipmentIn(InputModel):
    carrier: str = Field(min_length=1, max_length=64)
    tracking_number: str = Field(min_length=1, max_length=128)
