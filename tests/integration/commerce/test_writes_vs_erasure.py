"""Writes for a customer against the erasure of their account: none may leave a row behind
on an erased account. Each takes the share lock checkout takes on the user row, first, and
answers 401 ``invalid_token`` (as checkout does) once the account is gone.

The first test runs on SQLite and PostgreSQL: the erasure commits between the request's
token check and its write. The races run on the real PostgreSQL (READ COMMITTED), the
erasure paused while it holds its locks.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from account_support import (
    Pause,
    UowFactory,
    checkout,
    customer,
    delete,
    limiter,
    row,
    settle,
    stocked,
    waits_on_a_lock,
)
from sqlalchemy import Engine

from commerce.adapters.mail import FileMailer
from commerce.adapters.orm import carts, idempotency_keys, password_reset_tokens, reviews
from commerce.domain.errors import InvalidToken
from commerce.domain.payments import ChargeResult
from commerce.service_layer import cart, idempotency, orders, password_reset, payment
from commerce.service_layer import reviews as review_cases

Write = Callable[[UowFactory, str, str, str], Any]  # (uow, user_id, sku, order_id) -> answer


def _merge(uow: UowFactory, user_id: str, sku: str, _: str) -> Any:
    token = cart.new_anonymous_cart(uow())
    cart.add_item(uow(), cart.CartOwner(token=token), sku, 1)
    return cart.merge_anonymous(uow(), token, user_id)


WRITES: dict[str, Write] = {
    "view_cart": lambda uow, u, s, o: cart.view(uow(), cart.CartOwner(u)),
    "add_to_cart": lambda uow, u, s, o: cart.add_item(uow(), cart.CartOwner(u), s, 1),
    "set_quantity": lambda uow, u, s, o: cart.set_quantity(uow(), cart.CartOwner(u), s, 2),
    "remove_from_cart": lambda uow, u, s, o: cart.remove_item(uow(), cart.CartOwner(u), s),
    "merge_cart": _merge,
    "add_review": lambda uow, u, s, o: review_cases.add_review(uow(), u, s, 4, "Ok", "Fine."),
    "update_review": lambda uow, u, s, o: review_cases.update_review(uow(), u, s, 1, "B", "b"),
    "request_return": lambda uow, u, s, o: orders.advance(uow(), o, "request_return", u),
    "cancel_order": lambda uow, u, s, o: orders.cancel(uow, None, o, u),
}


def _nothing_left(uow: UowFactory, user_id: str, order_id: str | None) -> None:
    assert row(uow, carts, carts.c.user_id == user_id) is None
    assert row(uow, reviews, reviews.c.user_id == user_id) is None
    live = row(uow, password_reset_tokens, password_reset_tokens.c.user_id == user_id,
               password_reset_tokens.c.used_at.is_(None))  # fmt: skip
    assert live is None
    if order_id is not None:
        with uow() as u:
            assert u.orders.require(order_id).status == "delivered"


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_after_the_erasure_finds_the_account_gone(
    uow_factory: UowFactory, write: str
) -> None:
    """The request's token was checked, then the erasure committed: the write must answer
    ``invalid_token`` and leave nothing (before, a cart or a review was created for the
    erased account, or a return requested of its kept order)."""
    _, session = customer(uow_factory)
    user_id, sku = session.user_id, stocked(uow_factory)
    order_id = checkout(uow_factory, user_id, sku)
    settle(uow_factory, order_id, "delivered", "captured")
    delete(uow_factory, user_id)

    with pytest.raises(InvalidToken):
        WRITES[write](uow_factory, user_id, sku, order_id)
    _nothing_left(uow_factory, user_id, order_id)


def _reset(tmp_path: Path) -> Write:
    config = password_reset.ResetConfig(FileMailer(tmp_path), "s@x.example", "https://x")

    def request(uow: UowFactory, email: str, _s: str, _o: str) -> Any:
        return password_reset.request_reset(uow(), limiter(), config, email, "10.0.0.9")

    return request


def _error(work: Callable[[], Any]) -> Callable[[], Any]:
    def caught() -> Any:
        try:
            return work()
        except InvalidToken as e:
            return e

    return caught


# (write, the erasure's statement it is paused after): a write reaching the order waits on
# the order's lock, which the erasure takes last.
RACES = [
    ("add_to_cart", ("FROM users", "FOR UPDATE")),
    ("add_review", ("FROM users", "FOR UPDATE")),
    ("request_return", ("FROM orders", "FOR UPDATE")),
    ("request_reset", ("FROM users", "FOR UPDATE")),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("write", "paused_after"), RACES)
def test_a_write_during_the_erasure_waits_and_leaves_nothing(
    pg: tuple[Engine, UowFactory], tmp_path: Path, write: str, paused_after: tuple[str, ...]
) -> None:
    """The erasure holds the user row (and the orders) when the write starts, its token
    checked just before: the write must wait, then find the account gone. Before, it waited
    only on its insert's foreign key (or the order's row) and went on once the erasure had
    committed: a cart, a review or a live reset token of the erased account, or a return
    requested of its kept order."""
    engine, uow = pg
    email, session = customer(uow)  # no cart yet: the erasure finds none to delete
    user_id, sku = session.user_id, stocked(uow)
    order_id = checkout(uow, user_id, sku) if write == "request_return" else None
    if order_id is not None:
        settle(uow, order_id, "delivered", "captured")
    run = _reset(tmp_path) if write == "request_reset" else WRITES[write]
    who = email if write == "request_reset" else user_id
    pause = Pause(engine, *paused_after)
    with ThreadPoolExecutor(2) as pool:
        deleting = pool.submit(pause.run(lambda: delete(uow, user_id)))
        assert pause.reached.wait(30), "the erasure took no lock"
        writing = pool.submit(_error(lambda: run(uow, who, sku, order_id or "")))
        waited = waits_on_a_lock(uow, writing, "FOR SHARE", "FOR UPDATE", "INSERT INTO")
        pause.release.set()
        deleting.result(30)
        answer = writing.result(30)
    assert waited, "the write did not wait for the erasure"
    if write == "request_reset":
        assert answer is None, "a reset mail for the erased account"
    else:
        assert isinstance(answer, InvalidToken), f"written for the erased account: {answer}"
    _nothing_left(uow, user_id, order_id)


@pytest.mark.postgres
def test_a_declined_payment_during_the_erasure_restores_the_cart_without_a_deadlock(
    pg: tuple[Engine, UowFactory],
) -> None:
    """A declined payment puts the order's lines back in the cart. It held the order and
    then wanted the cart, while an erasure held the cart and wanted the order: PostgreSQL
    broke the cycle by failing one of them (deadlock detected). Share-locking the user
    first, the outcome ends before the erasure, which then finds the order finished and
    erases the account, restored cart included."""
    engine, uow = pg
    _, session = customer(uow)
    user_id = session.user_id
    order_id = checkout(uow, user_id, stocked(uow))
    settle(uow, order_id, "pending_payment", "pending")
    declined = ChargeResult(status="declined", provider_ref=None, code="card_declined")
    pause = Pause(engine, "FROM orders", "FOR UPDATE")
    with ThreadPoolExecutor(2) as pool:
        outcome = pool.submit(pause.run(lambda: payment.record_outcome(uow, None, order_id,
                                                                       declined)))  # fmt: skip
        assert pause.reached.wait(30), "the outcome took no lock on the order"
        deleting = pool.submit(lambda: delete(uow, user_id))
        waited = waits_on_a_lock(uow, deleting, "FOR UPDATE")
        pause.release.set()
        assert outcome.result(30)[1] == "failed"
        deleting.result(30)
    assert waited, "the erasure did not wait for the payment's outcome"
    _nothing_left(uow, user_id, None)


def _checkout_once(uow: UowFactory, user_id: str, sku: str) -> Any:
    """Checkout as ``POST /checkout`` runs it: under its Idempotency-Key's claim."""

    def work() -> idempotency.StoredResponse:
        return idempotency.StoredResponse(201, {"order_id": checkout(uow, user_id, sku, "k1")})

    return idempotency.run_once(uow, user_id, "k1", "hash-of-the-body", work)


def test_a_checkout_after_the_erasure_claims_no_key_for_the_account(
    uow_factory: UowFactory,
) -> None:
    """The token was checked, then the erasure committed: the Idempotency-Key's claim,
    written in a transaction of its own without the user's share lock, left a row scoped to
    the erased account. It must answer ``invalid_token`` and write nothing."""
    _, session = customer(uow_factory)
    user_id, sku = session.user_id, stocked(uow_factory)
    delete(uow_factory, user_id)
    with pytest.raises(InvalidToken):
        _checkout_once(uow_factory, user_id, sku)
    assert row(uow_factory, idempotency_keys, idempotency_keys.c.scope == user_id) is None
    _nothing_left(uow_factory, user_id, None)


@pytest.mark.postgres
def test_a_checkout_during_the_erasure_waits_and_claims_no_key(
    pg: tuple[Engine, UowFactory],
) -> None:
    """The erasure holds the user row when the checkout's claim starts: the claim must wait
    for it, then find the account gone. Before, it inserted its key at once, unaware (the
    erasure then deleted it: the claim must not depend on that ordering)."""
    engine, uow = pg
    _, session = customer(uow)
    user_id, sku = session.user_id, stocked(uow)
    pause = Pause(engine, "FROM users", "FOR UPDATE")
    with ThreadPoolExecutor(2) as pool:
        deleting = pool.submit(pause.run(lambda: delete(uow, user_id)))
        assert pause.reached.wait(30), "the erasure took no lock"
        claiming = pool.submit(_error(lambda: _checkout_once(uow, user_id, sku)))
        waited = waits_on_a_lock(uow, claiming, "FOR SHARE")
        # Before, the claim went through at once; the checkout's work was what waited.
        claimed_meanwhile = row(uow, idempotency_keys, idempotency_keys.c.scope == user_id)
        pause.release.set()
        deleting.result(30)
        answer = claiming.result(30)
    assert waited and claimed_meanwhile is None, "the claim did not wait for the erasure"
    assert isinstance(answer, InvalidToken), f"checked out for the erased account: {answer}"
    assert row(uow, idempotency_keys, idempotency_keys.c.scope == user_id) is None
    _nothing_left(uow, user_id, None)
