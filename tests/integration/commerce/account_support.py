"""Accounts, orders and erasures through the service layer, for the erasure tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, select, text, update

from commerce.adapters.cache import InProcessCache
from commerce.adapters.orm import orders, outbox
from commerce.adapters.security import JwtTokens, PasswordHasher
from commerce.domain.errors import InvalidToken
from commerce.domain.pricing import PricingRules
from commerce.domain.products import Product
from commerce.service_layer import account, auth, cart, inventory
from commerce.service_layer.checkout import CheckoutRequest, place_order
from commerce.service_layer.rate_limit import LoginRateLimiter
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
PASSWORD = "correct horse battery"
AUTH = auth.AuthConfig(JwtTokens("k" * 40, "emporium", "emporium-api"), PasswordHasher())
ADDRESS = {"name": "Ada Lovelace", "line1": "12 Marylebone Rd", "city": "London",
           "postcode": "NW1 5LR"}  # fmt: skip


def limiter(per_account: int = 10) -> LoginRateLimiter:
    return LoginRateLimiter(InProcessCache(), per_account=per_account)


def customer(uow_factory: UowFactory) -> tuple[str, auth.TokenPair]:
    """A registered, signed-in customer: (email, session)."""
    email = f"del-{uuid.uuid4().hex[:12]}@example.com"
    auth.register(uow_factory(), AUTH.hasher, email, PASSWORD)
    return email, auth.login(uow_factory(), AUTH, limiter(), (email, PASSWORD), "10.0.0.1")


def stocked(uow_factory: UowFactory, quantity: int = 10) -> str:
    sku = f"DEL-{uuid.uuid4().hex[:8]}"
    with uow_factory() as uow:
        uow.products.add(Product(sku=sku, name="Mug", price=Decimal("3"), currency="GBP"))
        uow.commit()
    inventory.receive_stock(uow_factory(), sku, quantity)
    return sku


def checkout(uow_factory: UowFactory, user_id: str, sku: str, key: str | None = None) -> str:
    """Put one of ``sku`` in the cart and place the order (awaiting payment)."""
    cart.add_item(uow_factory(), cart.CartOwner(user_id), sku, 1)
    req = CheckoutRequest(user_id, key or uuid.uuid4().hex, "GB", ADDRESS)
    return place_order(uow_factory(), req, PricingRules()).id


def settle(uow_factory: UowFactory, order_id: str, status: str, payment: str | None) -> None:
    """Move a placed order straight to ``status`` with a payment in ``payment`` (the paths
    there are other tests' business; this one is about what erasure does with them)."""
    with uow_factory() as uow:
        uow.session.execute(update(orders).where(orders.c.id == order_id).values(status=status))
        if payment is not None:
            uow.payments.add({
                "id": order_id, "order_id": order_id, "provider": "sandbox",
                "idempotency_key": f"pay-{order_id}", "status": payment, "amount": Decimal("9"),
                "currency": "GBP", "method": "card", "token": "tok_ada", "brand": "visa",
                "last4": "4242", "exp_month": 12, "exp_year": 2030, "provider_ref": "ch_1",
            })  # fmt: skip
        uow.commit()


def delete(uow_factory: UowFactory, user_id: str, password: str = PASSWORD,
           rate: LoginRateLimiter | None = None) -> None:  # fmt: skip
    cmd = account.AccountDeletion(user_id, password, "10.0.0.1")
    account.delete_account(uow_factory(), AUTH, rate or limiter(), cmd)


def row(uow_factory: UowFactory, table: Any, *where: Any) -> Any:
    with uow_factory() as uow:
        return uow.session.execute(select(table).where(*where)).first()


def refresh_fails(uow_factory: UowFactory, token: str) -> bool:
    try:
        auth.refresh(uow_factory(), AUTH, token)
    except InvalidToken:
        return True
    return False


def events_of(uow_factory: UowFactory, user_id: str) -> list[dict[str, Any]]:
    with uow_factory() as uow:
        stored = uow.session.execute(select(outbox.c.event)).scalars()
        return [e for e in stored if e.get("user_id") == user_id]


class Pause:
    """Holds the thread that registered itself right after it ran a matching statement."""

    def __init__(self, engine: Engine, *fragments: str) -> None:
        self.fragments, self.threads = fragments, set[int]()
        self.reached, self.release = threading.Event(), threading.Event()
        event.listen(engine, "after_cursor_execute", self._after)

    def run(self, work: Callable[[], Any]) -> Callable[[], Any]:
        def paused() -> Any:
            self.threads.add(threading.get_ident())
            return work()

        return paused

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        wanted = all(f in statement for f in self.fragments)
        if threading.get_ident() in self.threads and wanted and not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(30)


def waits_on_a_lock(uow_factory: UowFactory, other: Future[Any], *fragments: str) -> bool:
    """Whether ``other`` is (still) blocked on a row lock in a statement holding one of
    ``fragments`` (PostgreSQL), waiting up to 30 s for it to be."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database() AND query LIKE ANY(:q)"
    )
    patterns = [f"%{fragment}%" for fragment in fragments]
    for _ in range(300):
        if other.done():
            return False
        with uow_factory() as uow:
            if uow.session.execute(query, {"q": patterns}).scalar_one():
                return not other.done()
        threading.Event().wait(0.1)
    return False
