"""An erasure racing a checkout, and a login, on the real PostgreSQL (READ COMMITTED): no
open order and no live session may be left on an erased account."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from account_support import (
    AUTH,
    PASSWORD,
    Pause,
    UowFactory,
    checkout,
    customer,
    delete,
    limiter,
    refresh_fails,
    stocked,
    waits_on_a_lock,
)
from sqlalchemy import Engine, select

from commerce.adapters.orm import orders, users
from commerce.domain.errors import AccountHasOpenOrders, InvalidToken
from commerce.service_layer import auth, cart

pytestmark = pytest.mark.postgres


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
        assert waits_on_a_lock(uow, deleting, "FOR UPDATE"), "the erasure did not wait"
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
        assert waits_on_a_lock(uow, placing, "FOR SHARE"), "the checkout did not wait"
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
        assert waits_on_a_lock(uow, deleting, "FOR UPDATE"), "the erasure did not wait"
        pause.release.set()
        late, _ = logging_in.result(30), deleting.result(30)
    assert refresh_fails(uow, late.refresh_token)
    assert refresh_fails(uow, session.refresh_token)
