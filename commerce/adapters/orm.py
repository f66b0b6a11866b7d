"""All relational tables, in one ``metadata``.

Repositories translate rows to domain objects explicitly (SQLAlchemy Core, bound parameters
everywhere) so that stock changes can be written as conditional updates rather than as
read-modify-write through an identity map.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.types import CHAR

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids fall back to INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(12, 2)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dml(session: Session, statement: Executable) -> CursorResult[Any]:
    """Execute an INSERT/UPDATE/DELETE; typed so ``rowcount`` and primary keys are visible."""
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return result


def _ts(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


products = Table(
    "products",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("category_path", String(500), nullable=False, default=""),
    Column("brand", String(200), nullable=True),
    Column("price", Money, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("image_urls", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="active"),
    _ts("created_at"),
    _ts("updated_at"),
    Column("version", Integer, nullable=False, default=1),
    CheckConstraint("status IN ('active', 'archived')", name="status"),
    CheckConstraint("price >= 0", name="price_non_negative"),
)
Index("ix_products_category_path", products.c.category_path)

users = Table(
    "users",
    metadata,
    # Text ids: uuid hex for registered users, the dataset's customer id for loaded customers.
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=True, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("role", String(16), nullable=False, default="customer"),
    Column("country", String(64), nullable=True),
    Column("is_active", Boolean, nullable=False, default=True),
    _ts("created_at"),
    # NULL until the first change; access tokens issued before it are refused.
    _ts("password_changed_at", nullable=True),
    CheckConstraint("role IN ('customer', 'admin')", name="role"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "user_id",
        String(64),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # sha256 of the opaque token: a leaked table cannot be replayed.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("family_id", String(36), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("revoked_at", nullable=True),
)
Index("ix_refresh_tokens_family_id", refresh_tokens.c.family_id)
# A password change revokes all of a user's tokens at once.
Index("ix_refresh_tokens_user_id", refresh_tokens.c.user_id)

# At most one reset token per user: a new request replaces the row (user_id is the key).
password_reset_tokens = Table(
    "password_reset_tokens",
    metadata,
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # sha256 of the mailed token, as for refresh tokens: a leaked table resets nobody.
    Column("token_hash", String(64), nullable=False, unique=True),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("used_at", nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event", JSON, nullable=False),
    _ts("created_at"),
    _ts("published_at", nullable=True),
    _ts("failed_at", nullable=True),  # set aside: the relay could not read the row
    Column("error", Text, nullable=True),
)
Index("ix_outbox_published_at_id", outbox.c.published_at, outbox.c.id)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("product_id", BigId, ForeignKey("products.id"), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    # available = on_hand - reserved = the sum of the ledger's available_delta
    Column("available", Integer, nullable=False),
    Column("low_stock_threshold", Integer, nullable=False),
    _ts("updated_at"),
    CheckConstraint("available >= 0", name="available_non_negative"),
    CheckConstraint("reserved >= 0", name="reserved_non_negative"),
    CheckConstraint("available = on_hand - reserved", name="available_is_on_hand_less_reserved"),
)

inventory_ledger = Table(
    "inventory_ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("product_id", BigId, ForeignKey("products.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("available_delta", Integer, nullable=False),
    Column("reserved_delta", Integer, nullable=False),
    Column("reservation_id", String(36), nullable=True),
    Column("order_id", String(36), nullable=True),
    Column("reason", String(200), nullable=True),
    _ts("created_at"),
    CheckConstraint(
        "kind IN ('received', 'reserved', 'released', 'sold', 'returned', 'adjusted')",
        name="kind",
    ),
)
Index("ix_inventory_ledger_product_id", inventory_ledger.c.product_id)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("product_id", BigId, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    _ts("expires_at"),
    _ts("created_at"),
    _ts("closed_at", nullable=True),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("status IN ('active', 'released', 'expired', 'consumed')", name="status"),
)
Index("ix_reservations_order_id", reservations.c.order_id)
Index("ix_reservations_status_expires_at", reservations.c.status, reservations.c.expires_at)

carts = Table(
    "carts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    # Anonymous carts are found by the sha256 of their secret token.
    Column("token_hash", String(64), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    UniqueConstraint("user_id"),
    UniqueConstraint("token_hash"),
)

cart_items = Table(
    "cart_items",
    metadata,
    Column("cart_id", String(36), ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", BigId, ForeignKey("products.id"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    _ts("added_at"),
    CheckConstraint("quantity > 0 AND quantity <= 99", name="quantity_range"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("subtotal", Money, nullable=False),
    Column("tax", Money, nullable=False),
    Column("shipping", Money, nullable=False),
    Column("total", Money, nullable=False),
    Column("country", String(2), nullable=False),
    Column("shipping_address", JSON, nullable=False),
    Column("carrier", String(64), nullable=True),
    Column("tracking_number", String(128), nullable=True),
    # "checkout", or "historical" for orders loaded from a dataset with their original time
    Column("source", String(16), nullable=False),
    Column("external_ref", String(64), nullable=True),
    Column("hold_reason", String(200), nullable=True),
    _ts("placed_at"),
    _ts("updated_at"),
    Column("version", Integer, nullable=False),
    UniqueConstraint("source", "external_ref", name="uq_orders_source_external_ref"),
)
Index("ix_orders_user_id_placed_at", orders.c.user_id, orders.c.placed_at)
Index("ix_orders_status", orders.c.status)
# The carrier's webhook finds an order by its tracking number alone, so one number is one order.
Index("ux_orders_tracking_number", orders.c.tracking_number, unique=True)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(36), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", BigId, ForeignKey("products.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(500), nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("line_total", Money, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),  # the user: keys are per user
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # in_progress | released | done
    Column("status_code", Integer, nullable=True),
    Column("response", JSON, nullable=True),
    _ts("created_at"),
    _ts("locked_at"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=False, unique=True),
    Column("provider", String(32), nullable=False),
    Column("provider_ref", String(64), nullable=True),
    # the key sent to the provider: one per order, so a retry can never charge twice
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("amount", Money, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("method", String(16), nullable=False),
    Column("token", String(64), nullable=True),
    Column("brand", String(16), nullable=True),
    Column("last4", String(4), nullable=True),
    Column("exp_month", Integer, nullable=True),
    Column("exp_year", Integer, nullable=True),
    Column("failure_code", String(64), nullable=True),
    Column("refunded_amount", Money, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    CheckConstraint(
        "status IN ('pending', 'captured', 'failed', 'unknown', 'refunded', 'held', "
        "'refund_pending', 'refund_failed', 'cancelled')",
        name="status",
    ),
)
Index("ix_payments_status", payments.c.status)

reviews = Table(
    "reviews",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("product_id", BigId, ForeignKey("products.id"), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("verified_purchase", Boolean, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    UniqueConstraint("product_id", "user_id", name="uq_reviews_product_id_user_id"),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
)
