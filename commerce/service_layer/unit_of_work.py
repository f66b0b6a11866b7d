"""The unit of work: one transaction, the repositories that share it, and the outbox."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.cart_repository import SqlAlchemyCartRepository
from commerce.adapters.idempotency_repository import SqlAlchemyIdempotencyRepository
from commerce.adapters.inventory_repository import SqlAlchemyInventoryRepository
from commerce.adapters.order_repository import SqlAlchemyOrderRepository
from commerce.adapters.outbox import SqlAlchemyOutbox
from commerce.adapters.password_reset_repository import SqlAlchemyPasswordResetRepository
from commerce.adapters.payment_repository import SqlAlchemyPaymentRepository
from commerce.adapters.product_repository import SqlAlchemyProductRepository
from commerce.adapters.review_repository import SqlAlchemyReviewRepository
from commerce.adapters.user_repository import (
    SqlAlchemyRefreshTokenRepository,
    SqlAlchemyUserRepository,
)
from commerce.domain.events import DomainEvent


class SqlAlchemyUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls back.

    Events passed to :meth:`emit` go to the outbox table in the same transaction, so a
    change and the event describing it are stored together or not at all.
    """

    products: SqlAlchemyProductRepository
    users: SqlAlchemyUserRepository
    refresh_tokens: SqlAlchemyRefreshTokenRepository
    password_resets: SqlAlchemyPasswordResetRepository
    inventory: SqlAlchemyInventoryRepository
    carts: SqlAlchemyCartRepository
    orders: SqlAlchemyOrderRepository
    payments: SqlAlchemyPaymentRepository
    idempotency: SqlAlchemyIdempotencyRepository
    reviews: SqlAlchemyReviewRepository
    outbox: SqlAlchemyOutbox

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self.session_factory()
        self._bind_repositories(self._session)
        return self

    def _bind_repositories(self, session: Session) -> None:
        self.products = SqlAlchemyProductRepository(session)
        self.users = SqlAlchemyUserRepository(session)
        self.refresh_tokens = SqlAlchemyRefreshTokenRepository(session)
        self.password_resets = SqlAlchemyPasswordResetRepository(session)
        self.inventory = SqlAlchemyInventoryRepository(session)
        self.carts = SqlAlchemyCartRepository(session)
        self.orders = SqlAlchemyOrderRepository(session)
        self.payments = SqlAlchemyPaymentRepository(session)
        self.idempotency = SqlAlchemyIdempotencyRepository(session)
        self.reviews = SqlAlchemyReviewRepository(session)
        self.outbox = SqlAlchemyOutbox(session)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()
            self._session = None

    def read_snapshot(self) -> None:
        """Make every read of this transaction see one moment: PostgreSQL's READ COMMITTED
        gives each statement its own, so a report spanning tables could mix two. Call first
        in the ``with`` block, before any query. SQLite transactions already read one."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )

    def emit(self, *events: DomainEvent) -> None:
        for event in events:
            self.outbox.add(event)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
