"""Carts and their items in SQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commerce.adapters.orm import cart_items, carts, dml, products, stock_levels
from commerce.domain.cart import CartLine
from commerce.domain.events import utcnow

_LINES = (
    select(
        cart_items.c.product_id, cart_items.c.quantity, products.c.sku, products.c.name,
        products.c.price, products.c.currency, products.c.status, stock_levels.c.available,
    )
    .join(products, products.c.id == cart_items.c.product_id)
    .outerjoin(stock_levels, stock_levels.c.product_id == cart_items.c.product_id)
)  # fmt: skip


def _line(row: Any) -> CartLine:
    return CartLine(
        product_id=row.product_id, sku=row.sku, name=row.name, unit_price=row.price,
        currency=row.currency, quantity=row.quantity, available=row.available or 0,
        active=row.status == "active",
    )  # fmt: skip


class SqlAlchemyCartRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return postgresql.insert if dialect == "postgresql" else sqlite.insert

    def for_user(self, user_id: str) -> str:
        """The user's cart id, creating the cart on first use (safe under races)."""
        now = utcnow()
        values = {"id": str(uuid.uuid4()), "user_id": user_id, "created_at": now,
                  "updated_at": now}  # fmt: skip
        stmt = (
            self._insert()(carts).values(values).on_conflict_do_nothing(index_elements=["user_id"])
        )
        self.session.execute(stmt)
        query = select(carts.c.id).where(carts.c.user_id == user_id)
        return str(self.session.execute(query).scalar_one())

    def find_for_user(self, user_id: str) -> str | None:
        """The user's cart id, or None if they never had one (unlike ``for_user``, creates
        nothing: a read-only caller such as the data export)."""
        query = select(carts.c.id).where(carts.c.user_id == user_id)
        found = self.session.execute(query).scalar_one_or_none()
        return str(found) if found else None

    def lock(self, cart_id: str) -> None:
        """Hold the cart row until commit, so two checkouts of one cart run one after the
        other and the second finds it empty (a no-op on SQLite, whose writers are serial)."""
        self.session.execute(select(carts.c.id).where(carts.c.id == cart_id).with_for_update())

    def create_anonymous(self, token_hash: str) -> str:
        cart_id, now = str(uuid.uuid4()), utcnow()
        self.session.execute(
            insert(carts).values(id=cart_id, token_hash=token_hash, created_at=now, updated_at=now)
        )
        return cart_id

    def by_token(self, token_hash: str) -> str | None:
        query = select(carts.c.id).where(carts.c.token_hash == token_hash)
        found = self.session.execute(query).scalar_one_or_none()
        return str(found) if found else None

    def lines(self, cart_id: str) -> list[CartLine]:
        query = _LINES.where(cart_items.c.cart_id == cart_id).order_by(cart_items.c.added_at)
        return [_line(row) for row in self.session.execute(query)]

    def quantity_of(self, cart_id: str, product_id: int) -> int:
        query = select(cart_items.c.quantity).where(
            cart_items.c.cart_id == cart_id, cart_items.c.product_id == product_id
        )
        return int(self.session.execute(query).scalar_one_or_none() or 0)

    def set_quantity(self, cart_id: str, product_id: int, quantity: int) -> None:
        stmt = self._insert()(cart_items).values(
            cart_id=cart_id, product_id=product_id, quantity=quantity, added_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["cart_id", "product_id"], set_={"quantity": quantity}
        )
        self.session.execute(stmt)
        self.touch(cart_id)

    def remove(self, cart_id: str, product_id: int) -> bool:
        result = dml(
            self.session,
            delete(cart_items).where(
                cart_items.c.cart_id == cart_id, cart_items.c.product_id == product_id
            ),
        )
        self.touch(cart_id)
        return result.rowcount == 1

    def clear(self, cart_id: str) -> None:
        self.session.execute(delete(cart_items).where(cart_items.c.cart_id == cart_id))
        self.touch(cart_id)

    def delete_cart(self, cart_id: str) -> None:
        self.session.execute(delete(cart_items).where(cart_items.c.cart_id == cart_id))
        self.session.execute(delete(carts).where(carts.c.id == cart_id))

    def touch(self, cart_id: str) -> None:
        self.session.execute(update(carts).where(carts.c.id == cart_id).values(updated_at=utcnow()))
