"""An erasure racing a checkout, and a login, on the real PostgreSQL (READ COMMITTED): no
open order and no live session may be left on an erased account."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from account_support import (
    AUTH,
    PASSWORD,
    UowFactory,
    checkout,
    customer,
    delete,
    limiter,
    refresh_fails,
    stocked,
)
from sqlalchemy import Engine, event, select, text

from commerce.adapters.orm import orders, users
from commerce.domain.errors import AccountHasOpenOrders, InvalidToken
from commerce.service_layer import auth, cart

pytestmark = pytest.mark.postgres


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


def waits_on_a_lock(uow_factory: UowFactory, fragment: str, other: Future[Any]) -> bool:
    """Whether ``other`` is (still) blocked on a row lock, waiting up to 30 s for it to be."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database() AND query LIKE :q"
    )
    for _ in range(300):
        if other.done():
            return False
        with uow_factory() as uow:
            if uow.session.execute(query, {"q": f"%{fragment}%"}).scalar_one():
                return not other.done()
        threading.Event().wait(0.1)
    return False


def _error(work: Callable[[], Any]) -> Callable[[], Any]:
    def caught() -> Any:
        try:
            return work()
        except (AccountHasOpenOrders, InvalidToken) as e:
            return e

    return caught


def test_a_checkout_in_flight_wins_and_the_erasure_is_refused(
    pg: tuple[Engine, UowFactory],
) -> None:
    """The checkout has written its order but not committed when the erasure starts: the
    erasure must wait for it (on the user row, then the cart), see the order and refuse.
    Without those locks it read the orders without waiting (READ COMMITTED does not see the
    uncommitted one) and went on to erase an account with an order awaiting payment."""
    engine, uow = pg
    _, session = customer(uow)
    sku = stocked(uow)
    cart.add_item(uow(), cart.CartOwner(session.user_id), sku, 1)
    pause = Pause(engine, "INSERT INTO orders")
    with ThreadPoolExecutor(2) as pool:
        placing = pool.submit(pause.run(lambda: checkout(uow, session.user_id, sku)))
        assert pause.reached.wait(30), "the checkout wrote no order"
        deleting = pool.submit(_error(lambda: delete(uow, session.user_id)))
        assert waits_on_a_lock(uow, "FOR UPDATE", deleting), "the erasure did not wait"
        pause.release.set()
        order_id, refused = placing.result(30), deleting.result(30)
    assert isinstance(refused, AccountHasOpenOrders)
    assert refused.details == {"order_ids": [order_id]}
    with uow() as u:
        assert u.session.execute(select(users.c.is_active).where(users.c.id == session.user_id))
    assert not refresh_fails(uow, session.refresh_token)


def test_an_erasure_in_flight_wins_and_the_checkout_fails_cleanly(
    pg: tuple[Engine, UowFactory],
) -> None:
    """The erasure holds the user row when the checkout (its token checked just before)
    starts: the checkout must wait, then find the account gone and place nothing. Without
    the checkout's share lock on the user it went on, locked the cart and then blocked on
    the user row (its order's foreign key) while the erasure held the user and wanted the
    cart: the lock order user -> cart was broken and one of them failed on a lock."""
    engine, uow = pg
    _, session = customer(uow)
    sku = stocked(uow)
    cart.add_item(uow(), cart.CartOwner(session.user_id), sku, 1)
    pause = Pause(engine, "FROM users", "FOR UPDATE")
    with ThreadPoolExecutor(2) as pool:
        deleting = pool.submit(pause.run(lambda: delete(uow, session.user_id)))
        assert pause.reached.wait(30), "the erasure took no lock on the user"
        placing = pool.submit(_error(lambda: checkout(uow, session.user_id, sku, "k-race")))
        assert waits_on_a_lock(uow, "FOR SHARE", placing), "the checkout did not wait"
        pause.release.set()
        deleting.result(30)
        failed = placing.result(30)
    assert isinstance(failed, InvalidToken)
    with uow() as u:
        mine = u.session.execute(select(orders.c.id).where(orders.c.user_id == session.user_id))
        assert mine.all() == []
        assert u.carts.find_for_user(session.user_id) is None


def test_a_login_in_flight_leaves_no_live_session(pg: tuple[Engine, UowFactory]) -> None:
    """A login holding its share lock on the user when the erasure starts: the erasure waits
    for it, then revokes the session it issued; a login arriving later finds no account."""
    engine, uow = pg
    email, session = customer(uow)
    pause = Pause(engine, "FOR SHARE")
    with ThreadPoolExecutor(2) as pool:
        logging_in = pool.submit(
            pause.run(lambda: auth.login(uow(), AUTH, limiter(), (email, PASSWORD), "10.0.0.3"))
        )
        assert pause.reached.wait(30), "login took no lock on the user"
        deleting = pool.submit(lambda: delete(uow, session.user_id))
        assert waits_on_a_lock(uow, "FOR UPDATE", deleting), "the erasure did not wait"
        pause.release.set()
        late, _ = logging_in.result(30), deleting.result(30)
    assert refresh_fails(uow, late.refresh_token)
    assert refresh_fails(uow, session.refresh_token)
