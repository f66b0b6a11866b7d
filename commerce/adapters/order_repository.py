"""Orders and their lines in SQL; the loader's historical orders keep their original time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce.adapters.orm import as_utc, dml, order_lines, orders
from commerce.domain.errors import OrderNotFound, TrackingNumberInUse, VersionConflict
from commerce.domain.orders import Order, OrderLine

_FIELDS = (
    "id",
    "user_id",
    "status",
    "currency",
    "subtotal",
    "tax",
    "shipping",
    "total",
    "country",
    "shipping_address",
    "carrier",
    "tracking_number",
    "source",
    "external_ref",
    "hold_reason",
    "placed_at",
    "updated_at",
    "version",
)
PAID_STATES = ("paid", "packed", "shipped", "delivered", "return_requested")
_MUTABLE = ("status", "carrier", "tracking_number", "hold_reason", "updated_at")


def _values(order: Order) -> dict[str, Any]:
    return {name: getattr(order, name) for name in _FIELDS}


def _line_rows(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order.id,
            "line_no": n,
            "product_id": line.product_id,
            "sku": line.sku,
            "name": line.name,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "line_total": line.line_total,
        }
        for n, line in enumerate(order.lines, start=1)
    ]


class SqlAlchemyOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order: Order) -> None:
        self.session.execute(insert(orders).values(**_values(order)))
        self.session.execute(insert(order_lines), _line_rows(order))

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        query = select(orders).where(orders.c.id == order_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return self._load([row])[0] if row else None

    def require(
        self, order_id: str, *, user_id: str | None = None, for_update: bool = False
    ) -> Order:
        """The order if ``user_id`` owns it (None = anyone's); otherwise ``OrderNotFound``,
        the same for another user's order as for a missing one, so ids cannot be probed."""
        order = self.get(order_id, for_update=for_update)
        if order is None or (user_id is not None and order.user_id != user_id):
            raise OrderNotFound("no such order", {"order_id": order_id})
        return order

    def by_tracking_number(self, tracking_number: str) -> Order | None:
        query = select(orders).where(orders.c.tracking_number == tracking_number).limit(1)
        row = self.session.execute(query).first()
        return self._load([row])[0] if row else None

    def save(self, order: Order) -> None:
        """Write state changes if nobody else changed the order since it was read."""
        try:
            result = dml(
                self.session,
                update(orders)
                .where(orders.c.id == order.id, orders.c.version == order.version)
                .values(version=order.version + 1, **{k: getattr(order, k) for k in _MUTABLE}),
            )
        except IntegrityError as e:  # the one unique column it writes: a concurrent shipment
            raise TrackingNumberInUse(
                "another order ships under this tracking number",
                {"tracking_number": order.tracking_number},
            ) from e
        if result.rowcount != 1:
            raise VersionConflict("the order changed concurrently", {"order_id": order.id})
        order.version += 1

    def list_page(
        self, user_id: str | None, page: int, size: int, status: str | None = None
    ) -> tuple[list[Order], int]:
        """Newest first; ``user_id=None`` lists everyone's orders (admins)."""
        query = select(orders)
        if user_id is not None:
            query = query.where(orders.c.user_id == user_id)
        if status:
            query = query.where(orders.c.status == status)
        total = self.session.execute(select(func.count()).select_from(query.subquery()))
        rows = self.session.execute(
            query.order_by(orders.c.placed_at.desc(), orders.c.id)
            .limit(size)
            .offset((page - 1) * size)
        ).all()
        return self._load(rows), int(total.scalar_one())

    def all_for_user(self, user_id: str) -> list[Order]:
        """Every order of the user with its lines, newest first (the data export)."""
        query = select(orders).where(orders.c.user_id == user_id)
        rows = self.session.execute(query.order_by(orders.c.placed_at.desc(), orders.c.id)).all()
        return self._load(rows)

    def lock_for_user(self, user_id: str) -> dict[str, str]:
        """Lock every order of the user (in id order, so two lockers never wait on each
        other in a cycle) until commit; returns each one's status by id."""
        query = (
            select(orders.c.id, orders.c.status)
            .where(orders.c.user_id == user_id)
            .order_by(orders.c.id)
            .with_for_update()
        )
        return {str(i): str(s) for i, s in self.session.execute(query)}

    def replace_addresses(self, order_ids: Sequence[str], address: dict[str, Any]) -> None:
        """Overwrite the orders' shipping address (an erasure); a new version, so a writer
        holding an older read of one fails instead of writing the address back."""
        if order_ids:
            self.session.execute(
                update(orders)
                .where(orders.c.id.in_(list(order_ids)))
                .values(shipping_address=address, version=orders.c.version + 1)
            )

    def _load(self, rows: Sequence[Any]) -> list[Order]:
        ids = [row.id for row in rows]
        lines: dict[str, list[OrderLine]] = {i: [] for i in ids}
        query = select(order_lines).where(order_lines.c.order_id.in_(ids))
        for ln in self.session.execute(query.order_by(order_lines.c.line_no)):
            lines[ln.order_id].append(
                OrderLine(ln.product_id, ln.sku, ln.name, ln.unit_price, ln.quantity, ln.line_total)
            )
        result = []
        for row in rows:
            values = {name: getattr(row, name) for name in _FIELDS}
            values["placed_at"], values["updated_at"] = (
                as_utc(row.placed_at),
                as_utc(row.updated_at),
            )
            result.append(Order(lines=lines[row.id], **values))
        return result

    def add_historical(self, items: Sequence[Order]) -> int:
        """Insert dataset orders (``source="historical"``) keyed by their external ref, so
        loading twice changes nothing. A stored one that the new copy has more lines for (a
        later load of more of the catalog) takes the new lines and totals, so loads converge
        on what one load of everything gives. Returns the number of new orders."""
        dialect = self.session.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(orders)
        stored = self._historical_line_counts()
        added = 0
        for order in items:
            known = stored.get(order.external_ref or "")
            if known is not None:
                if len(order.lines) > known[1]:
                    self._replace_lines(known[0], order)
                continue
            stmt = ins.values(**_values(order)).on_conflict_do_nothing(
                index_elements=["source", "external_ref"]
            )
            if self.session.execute(stmt.returning(orders.c.id)).first() is not None:
                self.session.execute(insert(order_lines), _line_rows(order))
                added += 1
        return added

    def _historical_line_counts(self) -> dict[str, tuple[str, int]]:
        """external ref -> (order id, number of lines) of every stored historical order."""
        rows = self.session.execute(
            select(orders.c.external_ref, orders.c.id, func.count(order_lines.c.line_no))
            .outerjoin(order_lines, order_lines.c.order_id == orders.c.id)
            .where(orders.c.source == "historical")
            .group_by(orders.c.external_ref, orders.c.id)
        )
        return {ref: (order_id, int(count)) for ref, order_id, count in rows}

    def _replace_lines(self, order_id: str, order: Order) -> None:
        self.session.execute(delete(order_lines).where(order_lines.c.order_id == order_id))
        rows = [row | {"order_id": order_id} for row in _line_rows(order)]
        self.session.execute(insert(order_lines), rows)
        self.session.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(subtotal=order.subtotal, total=order.total)
        )

    # --- fraud signals ------------------------------------------------------------------

    def serialize_on(self, key: str) -> None:
        """Until commit, make every other transaction that asks for ``key`` wait (a
        PostgreSQL transaction-scoped advisory lock; SQLite's writers are serial anyway)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        self.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))

    def count_since(
        self, since: datetime, user_id: str | None = None, address: tuple[str, str] | None = None
    ) -> int:
        """Checkout orders placed since ``since`` by a user, or to an address (line1, postcode)."""
        query = select(func.count()).where(
            orders.c.placed_at >= since, orders.c.source == "checkout"
        )
        if user_id is not None:
            query = query.where(orders.c.user_id == user_id)
        if address is not None:
            line1, postcode = address
            query = query.where(
                orders.c.shipping_address["line1"].as_string() == line1,
                orders.c.shipping_address["postcode"].as_string() == postcode,
            )
        return int(self.session.execute(query).scalar_one())

    def paid_history(self, user_id: str) -> tuple[int, Decimal | None]:
        """(number of paid orders, their average total) — dataset history included."""
        query = select(func.count(), func.avg(orders.c.total)).where(
            orders.c.user_id == user_id, orders.c.status.in_(PAID_STATES)
        )
        count, average = self.session.execute(query).one()
        return int(count), (Decimal(str(average)) if average is not None else None)

    def training_rows(self, limit: int = 50_000) -> list[tuple[Decimal, int, datetime]]:
        """(total, items, placed_at) of paid orders, newest first, to train the fraud model."""
        items = (
            select(order_lines.c.order_id, func.sum(order_lines.c.quantity).label("n"))
            .group_by(order_lines.c.order_id)
            .subquery()
        )
        query = (
            select(orders.c.total, items.c.n, orders.c.placed_at)
            .join(items, items.c.order_id == orders.c.id)
            .where(orders.c.status.in_(PAID_STATES))
            .order_by(orders.c.placed_at.desc())
            .limit(limit)
        )
        return [(r.total, int(r.n), as_utc(r.placed_at)) for r in self.session.execute(query)]
