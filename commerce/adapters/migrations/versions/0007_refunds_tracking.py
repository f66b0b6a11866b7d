"""Refunds that can be retried, held payments that can be cancelled, one order per tracking
number.

- ``payments.status`` gains ``refund_pending`` (the order is cancelled or returned and the
  money is on its way back: a provider that did not answer is asked again by the worker),
  ``refund_failed`` (the provider refused the refund: needs a person) and ``cancelled`` (a
  held payment whose order was cancelled before it was charged).
- ``orders.tracking_number`` becomes unique: the carrier's webhook finds an order by it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD = "status IN ('pending', 'captured', 'failed', 'unknown', 'refunded', 'held')"
NEW = (
    "status IN ('pending', 'captured', 'failed', 'unknown', 'refunded', 'held', "
    "'refund_pending', 'refund_failed', 'cancelled')"
)


def upgrade() -> None:
    shared = op.get_bind().execute(
        sa.text(
            "SELECT tracking_number FROM orders WHERE tracking_number IS NOT NULL "
            "GROUP BY tracking_number HAVING COUNT(*) > 1 LIMIT 5"
        )
    ).scalars().all()
    if shared:
        raise RuntimeError(
            "orders share tracking numbers (e.g. " + ", ".join(map(repr, shared)) + "); give "
            "each order its own before upgrading: the carrier webhook finds orders by it"
        )
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(op.f("ck_payments_status"), type_="check")
        batch.create_check_constraint(op.f("ck_payments_status"), NEW)
    op.create_index("ux_orders_tracking_number", "orders", ["tracking_number"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_orders_tracking_number", table_name="orders")
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(op.f("ck_payments_status"), type_="check")
        batch.create_check_constraint(op.f("ck_payments_status"), OLD)
