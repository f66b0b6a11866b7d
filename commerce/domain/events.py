"""Domain events as plain dataclasses, stored in the outbox in the platform's envelope shape.

The envelope (``pipelines.events.Event``) is: event_id, type, ts, user_id, session_id,
request_id, product_id (a string), payload, schema_version. commerce cannot import pipelines,
so :meth:`DomainEvent.envelope` produces exactly that JSON shape and the relay parses it.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

SCHEMA_VERSION = 1
COMMERCE_TOPIC = "commerce"
_ENVELOPE_FIELDS = (
    "event_id",
    "ts",
    "user_id",
    "session_id",
    "request_id",
    "product_id",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_safe(value: Any) -> Any:
    # Money travels as a string so no float rounding ever touches it.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base event: envelope fields here, the subclass's own fields become the payload."""

    topic: ClassVar[str] = COMMERCE_TOPIC

    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    ts: datetime = dataclasses.field(default_factory=utcnow)
    user_id: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    product_id: str | None = None

    @property
    def type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        values = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in _ENVELOPE_FIELDS
        }
        result: dict[str, Any] = _json_safe(values)
        return result

    def envelope(self) -> dict[str, Any]:
        """The event as JSON-ready data in the envelope's exact shape."""
        return {
            "event_id": str(self.event_id),
            "type": self.type,
            "ts": self.ts.astimezone(UTC).isoformat(),
            "user_id": self.user_id,
            "session_id": self.session_id,
            "request_id": self.request_id,
            "product_id": self.product_id,
            "payload": self.payload(),
            "schema_version": SCHEMA_VERSION,
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProductCreated(DomainEvent):
    sku: str
    name: str
    price: Decimal
    currency: str
    category_path: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProductUpdated(DomainEvent):
    sku: str
    changes: dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProductArchived(DomainEvent):
    sku: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    role: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserLoggedIn(DomainEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordChanged(DomainEvent):
    sessions_revoked: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordReset(DomainEvent):
    """A forgotten password replaced through a mailed token (never in the event)."""

    sessions_revoked: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountDeleted(DomainEvent):
    """The account was erased (only its pseudonymous id travels): consumers holding
    personal data under that id should forget it."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockReceived(DomainEvent):
    quantity: int
    available: int
    kind: str = "received"


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockAdjusted(DomainEvent):
    quantity: int
    available: int
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockReserved(DomainEvent):
    order_id: str
    reservation_id: str
    quantity: int
    available: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockReleased(DomainEvent):
    order_id: str
    reservation_id: str
    quantity: int
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockSold(DomainEvent):
    order_id: str
    quantity: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockReturned(DomainEvent):
    order_id: str
    quantity: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class StockLow(DomainEvent):
    available: int
    threshold: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CartItemAdded(DomainEvent):
    cart_id: str
    quantity: int
    cart_quantity: int
    unit_price: Decimal
    currency: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CartItemUpdated(DomainEvent):
    cart_id: str
    quantity: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CartItemRemoved(DomainEvent):
    cart_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CartMerged(DomainEvent):
    cart_id: str
    from_cart_id: str
    lines: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckoutStarted(DomainEvent):
    order_id: str
    total: Decimal
    currency: str
    items: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """The order exists and its stock is reserved; payment follows."""

    order_id: str
    status: str
    lines: list[dict[str, Any]]
    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    total: Decimal
    currency: str
    country: str
    source: str = "checkout"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaymentCaptured(DomainEvent):
    """Money taken: the purchase signal for the data side (lines: sku, quantity, price)."""

    order_id: str
    amount: Decimal
    currency: str
    method: str
    lines: list[dict[str, Any]]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaymentFailed(DomainEvent):
    order_id: str
    code: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderStatusChanged(DomainEvent):
    order_id: str
    previous: str
    status: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderHeld(DomainEvent):
    order_id: str
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent):
    order_id: str
    previous: str
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderShipped(DomainEvent):
    order_id: str
    carrier: str
    tracking_number: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderRefunded(DomainEvent):
    order_id: str
    amount: Decimal
    currency: str
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProductRated(DomainEvent):
    """A customer's star rating (new or changed): explicit feedback for the models."""

    rating: int
    verified_purchase: bool
    previous_rating: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReviewDeleted(DomainEvent):
    rating: int
