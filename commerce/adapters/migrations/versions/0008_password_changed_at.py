"""Users remember when their password last changed: access tokens issued before that moment
stop working (``serving.routers.deps``), and the data export reports it. A password change
revokes all of a user's refresh tokens at once, so they are indexed by user.

A plain nullable column (NULL: never changed since registration), so adding it rewrites no
rows on either database. On a large PostgreSQL ``refresh_tokens`` table, build the index
``CONCURRENTLY`` by hand first (the same name makes this step a no-op).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_refresh_tokens_user_id", table_name="refresh_tokens")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_at")
