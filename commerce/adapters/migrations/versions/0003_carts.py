"""Carts: one per user, or anonymous by token; and their items.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_carts_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_carts"),
        sa.UniqueConstraint("user_id", name="uq_carts_user_id"),
        sa.UniqueConstraint("token_hash", name="uq_carts_token_hash"),
    )
    op.create_table(
        "cart_items",
        sa.Column("cart_id", sa.String(36), nullable=False),
        sa.Column("product_id", BigId, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _ts("added_at"),
        sa.CheckConstraint(
            "quantity > 0 AND quantity <= 99", name="ck_cart_items_quantity_range"
        ),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name="fk_cart_items_cart_id_carts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_cart_items_product_id_products"
        ),
        sa.PrimaryKeyConstraint("cart_id", "product_id", name="pk_cart_items"),
    )


def downgrade() -> None:
    op.drop_table("cart_items")
    op.drop_table("carts")
