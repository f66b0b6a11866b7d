"""Payment attempts in SQL (one per order), changed only by conditional updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from commerce.adapters.orm import dml, orders, payments
from commerce.domain.events import utcnow


class SqlAlchemyPaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, values: dict[str, Any]) -> None:
        now = utcnow()
        row = {"refunded_amount": 0, "created_at": now, "updated_at": now, **values}
        self.session.execute(insert(payments).values(**row))

    def for_order(self, order_id: str) -> Row[Any] | None:
        query = select(payments).where(payments.c.order_id == order_id)
        return self.session.execute(query).first()

    def transition(self, order_id: str, from_states: Sequence[str], **values: Any) -> bool:
        """Change the payment only if it is still in one of ``from_states``."""
        result = dml(
            self.session,
            update(payments)
            .where(payments.c.order_id == order_id, payments.c.status.in_(list(from_states)))
            .values(updated_at=utcnow(), **values),
        )
        return result.rowcount == 1

    def statuses(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Payment status per order id (orders without a payment are left out)."""
        if not order_ids:
            return {}
        query = select(payments.c.order_id, payments.c.status).where(
            payments.c.order_id.in_(list(order_ids))
        )
        return {str(o): str(s) for o, s in self.session.execute(query)}

    def forget_cards(self, order_ids: Sequence[str]) -> None:
        """Drop what identifies the payer's card (the provider's token, last four digits and
        expiry); the brand, amounts, statuses and the provider's reference stay for
        accounting and for reconciling with the provider."""
        if order_ids:
            self.session.execute(
                update(payments)
                .where(payments.c.order_id.in_(list(order_ids)))
                .values(token=None, last4=None, exp_month=None, exp_year=None)
            )

    def for_orders(self, order_ids: Sequence[str]) -> dict[str, Row[Any]]:
        """The payment row per order id (orders without a payment are left out)."""
        if not order_ids:
            return {}
        query = select(payments).where(payments.c.order_id.in_(list(order_ids)))
        return {str(row.order_id): row for row in self.session.execute(query)}

    def due(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        """Orders whose payment has been in ``status`` since before ``older_than``, oldest
        first (the worker retries them)."""
        query = (
            select(payments.c.order_id)
            .where(payments.c.status == status, payments.c.updated_at <= older_than)
            .order_by(payments.c.updated_at)
            .limit(limit)
        )
        return [str(r) for r in self.session.execute(query).scalars()]

    def open_of_cancelled_orders(self, older_than: datetime, limit: int = 100) -> list[str]:
        """Cancelled orders whose payment outcome is still open (pending or unknown) since
        before ``older_than``: the money may have arrived after all."""
        query = (
            select(payments.c.order_id)
            .join(orders, orders.c.id == payments.c.order_id)
            .where(
                payments.c.status.in_(["pending", "unknown"]),
                payments.c.updated_at <= older_than,
                orders.c.status == "cancelled",
            )
            .order_by(payments.c.updated_at)
            .limit(limit)
        )
        return [str(r) for r in self.session.execute(query).scalars()]
