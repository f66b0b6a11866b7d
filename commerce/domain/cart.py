"""Carts: quantity rules and totals at current prices."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_EVEN, Decimal

from commerce.domain.errors import InvalidInput

MAX_LINE_QUANTITY = 99  # documented in the API: a larger order is a wholesale enquiry
MAX_LINES = 50
CENT = Decimal("0.01")


def validate_quantity(quantity: object) -> int:
    """A positive integer up to MAX_LINE_QUANTITY (booleans and floats are refused)."""
    if type(quantity) is not int or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput(
            f"quantity must be an integer from 1 to {MAX_LINE_QUANTITY}", {"field": "quantity"}
        )
    return quantity


@dataclasses.dataclass(frozen=True)
class CartLine:
    product_id: int
    sku: str
    name: str
    unit_price: Decimal
    currency: str
    quantity: int
    available: int
    active: bool

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclasses.dataclass(frozen=True)
class CartView:
    cart_id: str
    user_id: str | None
    lines: tuple[CartLine, ...]

    @property
    def currency(self) -> str | None:
        return self.lines[0].currency if self.lines else None

    @property
    def subtotal(self) -> Decimal:
        """Of the lines that can still be bought: an archived product's line is shown (so the
        shopper sees it went) but counts for nothing, and checkout refuses it until removed."""
        return sum((line.line_total for line in self.lines if line.active), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)
