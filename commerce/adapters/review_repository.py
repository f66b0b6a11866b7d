"""Reviews in SQL, and the verified-purchase check against paid orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce.adapters.orm import as_utc, dml, order_lines, orders, products, reviews
from commerce.domain.errors import DuplicateReview
from commerce.domain.reviews import RatingSummary, Review

PURCHASED_STATES = ("paid", "packed", "shipped", "delivered", "return_requested")
_QUERY = select(reviews, products.c.sku).join(products, products.c.id == reviews.c.product_id)


def _review(row: Any) -> Review:
    return Review(
        row.id,
        row.sku,
        row.user_id,
        row.rating,
        row.title,
        row.body,
        row.verified_purchase,
        as_utc(row.created_at),
        as_utc(row.updated_at),
    )


class SqlAlchemyReviewRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, values: dict[str, Any]) -> int:
        try:
            with self.session.begin_nested():
                result = dml(self.session, insert(reviews).values(**values))
        except IntegrityError as e:
            # The savepoint is rolled back, so the session can still ask what collided.
            if self.mine(int(values["product_id"]), str(values["user_id"])) is None:
                raise  # not the one-review-per-user rule: a bug, not the client's fault
            raise DuplicateReview("you have already reviewed this product") from e
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def mine(self, product_id: int, user_id: str) -> Review | None:
        query = _QUERY.where(reviews.c.product_id == product_id, reviews.c.user_id == user_id)
        row = self.session.execute(query).first()
        return _review(row) if row else None

    def update_mine(self, product_id: int, user_id: str, values: dict[str, Any]) -> bool:
        result = dml(
            self.session,
            update(reviews)
            .where(reviews.c.product_id == product_id, reviews.c.user_id == user_id)
            .values(**values),
        )
        return result.rowcount == 1

    def delete_mine(self, product_id: int, user_id: str) -> bool:
        stmt = delete(reviews).where(
            reviews.c.product_id == product_id, reviews.c.user_id == user_id
        )
        return dml(self.session, stmt).rowcount == 1

    def for_product(self, product_id: int, page: int, size: int) -> list[Review]:
        query = (
            _QUERY.where(reviews.c.product_id == product_id)
            .order_by(reviews.c.created_at.desc(), reviews.c.id.desc())
            .limit(size)
            .offset((page - 1) * size)
        )
        return [_review(row) for row in self.session.execute(query)]

    def by_user(self, user_id: str) -> list[Review]:
        """Every review the user wrote, newest first (the data export)."""
        query = _QUERY.where(reviews.c.user_id == user_id)
        rows = self.session.execute(query.order_by(reviews.c.created_at.desc(), reviews.c.id))
        return [_review(row) for row in rows]

    def delete_by_user(self, user_id: str) -> int:
        """Delete every review the user wrote (an erasure); returns how many."""
        return int(dml(self.session, delete(reviews).where(reviews.c.user_id == user_id)).rowcount)

    def summary(self, product_id: int) -> RatingSummary:
        query = select(func.count(), func.coalesce(func.sum(reviews.c.rating), 0)).where(
            reviews.c.product_id == product_id
        )
        count, total = self.session.execute(query).one()
        return RatingSummary.of(int(count), int(total))

    def has_bought(self, user_id: str, product_id: int) -> bool:
        query = (
            select(order_lines.c.order_id)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(
                orders.c.user_id == user_id,
                order_lines.c.product_id == product_id,
                orders.c.status.in_(PURCHASED_STATES),
            )
            .limit(1)
        )
        return self.session.execute(query).first() is not None
