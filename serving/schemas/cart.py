from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from commerce.domain.cart import MAX_LINE_QUANTITY, CartView
from serving.schemas.base import InputModel

Quantity = Field(
    ge=1, le=MAX_LINE_QUANTITY, strict=True,
    description=f"A whole number from 1 to {MAX_LINE_QUANTITY}.",
)  # fmt: skip


class CartItemAdd(InputModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Quantity


class CartItemUpdate(InputModel):
    quantity: int = Quantity


class CartTokenBody(InputModel):
    cart_token: str = Field(min_length=1, max_length=256)


class CartLinePublic(BaseModel):
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    available: int
    active: bool = Field(description="False once the product is archived: it cannot be bought.")


class CartPublic(BaseModel):
    lines: list[CartLinePublic]
    currency: str | None
    item_count: int
    subtotal: Decimal

    @classmethod
    def of(cls, cart: CartView) -> CartPublic:
        lines = [
            CartLinePublic(
                sku=line.sku, name=line.name, unit_price=line.unit_price, quantity=line.quantity,
                line_total=line.line_total, available=line.available, active=line.active,
            )
            for line in cart.lines
        ]  # fmt: skip
        return cls(
            lines=lines, currency=cart.currency, item_count=cart.item_count, subtotal=cart.subtotal
        )
