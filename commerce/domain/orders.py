"""Orders and their state machine. An illegal transition raises IllegalTransition (409)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from commerce.domain.errors import IllegalTransition
from commerce.domain.events import utcnow

PENDING_PAYMENT, ON_HOLD, PAID, PACKED = "pending_payment", "on_hold", "paid", "packed"
SHIPPED, DELIVERED, CANCELLED = "shipped", "delivered", "cancelled"
PAYMENT_FAILED, RETURN_REQUESTED = "payment_failed", "return_requested"
RETURN_RECEIVED, REFUNDED = "return_received", "refunded"

# action -> (states it may start from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "pay": (frozenset({PENDING_PAYMENT}), PAID),
    "fail_payment": (frozenset({PENDING_PAYMENT}), PAYMENT_FAILED),
    "hold": (frozenset({PENDING_PAYMENT}), ON_HOLD),
    "approve": (frozenset({ON_HOLD}), PENDING_PAYMENT),
    "pack": (frozenset({PAID}), PACKED),
    "ship": (frozenset({PACKED}), SHIPPED),
    "deliver": (frozenset({SHIPPED}), DELIVERED),
    "cancel": (frozenset({PENDING_PAYMENT, ON_HOLD, PAID, PACKED}), CANCELLED),
    "request_return": (frozenset({DELIVERED}), RETURN_REQUESTED),
    "receive_return": (frozenset({RETURN_REQUESTED}), RETURN_RECEIVED),
    "refund": (frozenset({RETURN_RECEIVED}), REFUNDED),
}
STOCK_RESERVED_STATES = frozenset({PENDING_PAYMENT, ON_HOLD})
STATUSES = frozenset({PENDING_PAYMENT} | {end for _, end in TRANSITIONS.values()})


@dataclasses.dataclass(frozen=True)
class OrderLine:
    product_id: int
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


@dataclasses.dataclass
class Order:
    id: str
    user_id: str
    currency: str
    lines: list[OrderLine]
    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    total: Decimal
    country: str
    shipping_address: dict[str, Any] = dataclasses.field(default_factory=dict)
    status: str = PENDING_PAYMENT
    carrier: str | None = None
    tracking_number: str | None = None
    source: str = "checkout"
    external_ref: str | None = None
    hold_reason: str | None = None
    placed_at: datetime = dataclasses.field(default_factory=utcnow)
    updated_at: datetime = dataclasses.field(default_factory=utcnow)
    version: int = 1

    def can(self, action: str) -> bool:
        sources, _ = TRANSITIONS[action]
        return self.status in sources

    def apply(self, action: str) -> str:
        """Move to the action's target state; returns the state it left."""
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("order", self.status, action)
        previous, self.status = self.status, target
        self.updated_at = utcnow()
        return previous

    def ship(self, carrier: str, tracking_number: str) -> None:
        self.apply("ship")
        self.carrier, self.tracking_number = carrier, tracking_number
