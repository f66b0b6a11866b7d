"""Stock levels, the ledger and reservations in SQL.

Every change is one conditional UPDATE of the projection row (``available + delta >= 0``)
plus one ledger INSERT, in the caller's transaction. The UPDATE takes the row lock on
PostgreSQL (a concurrent checkout waits, then re-checks the condition against the committed
row) and the write lock on SQLite, so stock can never go negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commerce.adapters.orm import dml, inventory_ledger, payments, products, reservations
from commerce.adapters.orm import stock_levels as levels
from commerce.domain.events import utcnow
from commerce.domain.inventory import DEFAULT_LOW_STOCK_THRESHOLD, StockLevel, StockMove


def _level(row: Row[Any]) -> StockLevel:
    return StockLevel(
        row.product_id, row.sku, row.on_hand, row.reserved, row.available,
        row.low_stock_threshold,
    )  # fmt: skip


_LEVEL_QUERY = select(levels, products.c.sku).join(products, products.c.id == levels.c.product_id)


class SqlAlchemyInventoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure(self, product_id: int, threshold: int = DEFAULT_LOW_STOCK_THRESHOLD) -> None:
        """Create the product's empty stock row if it has none (idempotent)."""
        dialect = self.session.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(levels)
        row = {"product_id": product_id, "on_hand": 0, "reserved": 0, "available": 0,
               "low_stock_threshold": threshold, "updated_at": utcnow()}  # fmt: skip
        self.session.execute(ins.values(row).on_conflict_do_nothing(index_elements=["product_id"]))

    def level(self, product_id: int) -> StockLevel | None:
        row = self.session.execute(_LEVEL_QUERY.where(levels.c.product_id == product_id)).first()
        return _level(row) if row else None

    def levels(self, product_ids: Sequence[int]) -> dict[int, StockLevel]:
        rows = self.session.execute(_LEVEL_QUERY.where(levels.c.product_id.in_(product_ids)))
        return {row.product_id: _level(row) for row in rows}

    def apply(
        self, product_id: int, move: StockMove, ceiling: int | None = None, **refs: str | None
    ) -> tuple[int, int] | None:
        """Apply ``move`` if stock allows (and on hand stays within ``ceiling``, if given):
        (new availability, low-stock threshold), or None."""
        conditions = [
            levels.c.product_id == product_id,
            levels.c.available + move.available_delta >= 0,
            levels.c.reserved + move.reserved_delta >= 0,
        ]
        if ceiling is not None:
            conditions.append(levels.c.on_hand + move.on_hand_delta <= ceiling)
        result = dml(
            self.session,
            update(levels)
            .where(*conditions)
            .values(
                on_hand=levels.c.on_hand + move.on_hand_delta,
                reserved=levels.c.reserved + move.reserved_delta,
                available=levels.c.available + move.available_delta,
                updated_at=utcnow(),
            )
            .returning(levels.c.available, levels.c.low_stock_threshold),
        )
        row = result.first()
        if row is None:
            return None
        self._append(product_id, move, refs)
        return int(row.available), int(row.low_stock_threshold)

    def _append(self, product_id: int, move: StockMove, refs: dict[str, str | None]) -> None:
        self.session.execute(
            insert(inventory_ledger).values(
                product_id=product_id,
                kind=move.kind,
                quantity=move.quantity,
                available_delta=move.available_delta,
                reserved_delta=move.reserved_delta,
                reservation_id=refs.get("reservation_id"),
                order_id=refs.get("order_id"),
                reason=(refs.get("reason") or None),
                created_at=utcnow(),
            )
        )

    def set_threshold(self, product_id: int, threshold: int) -> None:
        dml(
            self.session,
            update(levels)
            .where(levels.c.product_id == product_id)
            .values(low_stock_threshold=threshold),
        )

    def low_stock(self, limit: int = 100, offset: int = 0) -> list[StockLevel]:
        query = (
            _LEVEL_QUERY.where(levels.c.available <= levels.c.low_stock_threshold)
            .where(products.c.status == "active")
            .order_by(levels.c.available, levels.c.product_id)
            .limit(limit)
            .offset(offset)
        )
        return [_level(row) for row in self.session.execute(query)]

    def ledger_sums(self, product_id: int) -> tuple[int, int]:
        """(sum of available deltas, sum of reserved deltas): must equal the projection."""
        query = select(
            func.coalesce(func.sum(inventory_ledger.c.available_delta), 0),
            func.coalesce(func.sum(inventory_ledger.c.reserved_delta), 0),
        ).where(inventory_ledger.c.product_id == product_id)
        available, reserved = self.session.execute(query).one()
        return int(available), int(reserved)

    # --- reservations -------------------------------------------------------------------

    def add_reservation(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(reservations).values(**values))

    def active_reservations(self, order_id: str) -> list[Row[Any]]:
        query = (
            select(reservations)
            .where(reservations.c.order_id == order_id, reservations.c.status == "active")
            .order_by(reservations.c.product_id)
        )
        return list(self.session.execute(query))

    def close_reservation(self, reservation_id: str, status: str) -> bool:
        """active -> status, exactly once even when the worker and checkout race."""
        result = dml(
            self.session,
            update(reservations)
            .where(reservations.c.id == reservation_id, reservations.c.status == "active")
            .values(status=status, closed_at=utcnow()),
        )
        return result.rowcount == 1

    def orders_with_expired_reservations(
        self, now: datetime, limit: int, open_payment: bool = False
    ) -> list[str]:
        """Orders holding reservations expired by ``now``: those without an open payment
        (pending or unknown) the longest expired first; with ``open_payment``, those with one,
        in random order, so orders kept for their payment take turns instead of the same
        ones filling every pass."""
        is_open = (
            select(payments.c.order_id)
            .where(
                payments.c.order_id == reservations.c.order_id,
                payments.c.status.in_(["pending", "unknown"]),
            )
            .exists()
        )
        query = (
            select(reservations.c.order_id)
            .where(
                reservations.c.status == "active",
                reservations.c.expires_at <= now,
                is_open if open_payment else ~is_open,
            )
            .group_by(reservations.c.order_id)
            .order_by(func.random() if open_payment else func.min(reservations.c.expires_at))
            .limit(limit)
        )
        return [str(r) for r in self.session.execute(query).scalars()]
