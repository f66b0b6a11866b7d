"""Inventory: the append-only ledger, its stock-level projection, and reservations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _product_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["product_id"], ["products.id"], name=f"fk_{table}_product_id_products"
    )


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column("product_id", BigId, nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("low_stock_threshold", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint("available >= 0", name="ck_stock_levels_available_non_negative"),
        sa.CheckConstraint("reserved >= 0", name="ck_stock_levels_reserved_non_negative"),
        sa.CheckConstraint(
            "available = on_hand - reserved",
            name="ck_stock_levels_available_is_on_hand_less_reserved",
        ),
        _product_fk("stock_levels"),
        sa.PrimaryKeyConstraint("product_id", name="pk_stock_levels"),
    )
    op.create_table(
        "inventory_ledger",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("product_id", BigId, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("available_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.String(36), nullable=True),
        sa.Column("order_id", sa.String(36), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint(
            "kind IN ('received', 'reserved', 'released', 'sold', 'returned', 'adjusted')",
            name="ck_inventory_ledger_kind",
        ),
        _product_fk("inventory_ledger"),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_ledger"),
    )
    op.create_index("ix_inventory_ledger_product_id", "inventory_ledger", ["product_id"])
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("product_id", BigId, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("expires_at"),
        _ts("created_at"),
        _ts("closed_at", nullable=True),
        sa.CheckConstraint("quantity > 0", name="ck_reservations_quantity_positive"),
        sa.CheckConstraint(
            "status IN ('active', 'released', 'expired', 'consumed')",
            name="ck_reservations_status",
        ),
        _product_fk("reservations"),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
    )
    op.create_index("ix_reservations_order_id", "reservations", ["order_id"])
    op.create_index(
        "ix_reservations_status_expires_at", "reservations", ["status", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_reservations_status_expires_at", table_name="reservations")
    op.drop_index("ix_reservations_order_id", table_name="reservations")
    op.drop_table("reservations")
    op.drop_index("ix_inventory_ledger_product_id", table_name="inventory_ledger")
    op.drop_table("inventory_ledger")
    op.drop_table("stock_levels")
