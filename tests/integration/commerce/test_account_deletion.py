"""Erasing an account on SQLite and on the real PostgreSQL: the person is forgotten in one
transaction, finished orders are kept pseudonymised, unfinished ones refuse the erasure."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from account_support import (
    ADDRESS,
    AUTH,
    PASSWORD,
    UowFactory,
    checkout,
    customer,
    delete,
    events_of,
    limiter,
    refresh_fails,
    row,
    settle,
    stocked,
)

from commerce.adapters.orm import carts, idempotency_keys, reviews, users
from commerce.domain.erasure import ERASED_ADDRESS, erased_email
from commerce.domain.errors import (
    AccountHasOpenOrders,
    AuthenticationFailed,
    InvalidToken,
    RateLimited,
)
from commerce.domain.events import utcnow
from commerce.service_layer import account, auth, cart
from commerce.service_layer import reviews as review_cases


def test_erasure_forgets_the_person_and_keeps_finished_orders(uow_factory: UowFactory) -> None:
    email, session = customer(uow_factory)
    user_id, sku = session.user_id, stocked(uow_factory)
    order_id = checkout(uow_factory, user_id, sku)
    settle(uow_factory, order_id, "delivered", "captured")
    review_cases.add_review(uow_factory(), user_id, sku, 2, "Chipped", "Arrived chipped.")
    cart.add_item(uow_factory(), cart.CartOwner(user_id), sku, 2)
    with uow_factory() as uow:
        uow.idempotency.claim(user_id, "k1", "h", utcnow())
        uow.commit()

    delete(uow_factory, user_id)

    gone = row(uow_factory, users, users.c.id == user_id)
    assert (gone.email, gone.password_hash, gone.country, gone.is_active) == (
        erased_email(user_id), None, None, False)  # fmt: skip
    assert gone.password_changed_at is not None
    assert refresh_fails(uow_factory, session.refresh_token)
    assert row(uow_factory, carts, carts.c.user_id == user_id) is None
    assert row(uow_factory, reviews, reviews.c.user_id == user_id) is None
    assert row(uow_factory, idempotency_keys, idempotency_keys.c.scope == user_id) is None
    with uow_factory() as uow:
        kept = uow.orders.require(order_id)
        payment = uow.payments.for_order(order_id)
        product = uow.products.get(sku)
        assert product is not None and product.id is not None
        assert uow.reviews.summary(product.id).count == 0
    assert kept.user_id == user_id and kept.shipping_address == ERASED_ADDRESS
    assert (kept.country, kept.status, len(kept.lines)) == ("GB", "delivered", 1)
    assert kept.total == kept.subtotal + kept.tax + kept.shipping > 0
    assert (payment.token, payment.last4, payment.exp_month, payment.exp_year) == (None,) * 4
    assert (payment.brand, payment.amount, payment.provider_ref) == ("visa", Decimal("9"), "ch_1")
    emitted = events_of(uow_factory, user_id)
    assert [e["payload"] for e in emitted if e["type"] == "AccountDeleted"] == [{}]
    assert [e["payload"]["rating"] for e in emitted if e["type"] == "ReviewDeleted"] == [2]
    assert not any(email in str(e) for e in emitted)

    with pytest.raises(AuthenticationFailed):  # as for an email never registered
        auth.login(uow_factory(), AUTH, limiter(), (email, PASSWORD), "10.0.0.1")
    fresh = auth.register(uow_factory(), AUTH.hasher, email.upper(), PASSWORD)
    assert fresh.id != user_id and fresh.email == email
    data = account.export_data(uow_factory(), fresh.id)
    assert (data.orders, data.reviews, data.cart.lines) == ([], [], ())
    with pytest.raises(InvalidToken):  # the erased account cannot be erased again
        delete(uow_factory, user_id)


BLOCKING = [
    ("pending_payment", None),
    ("on_hold", "held"),
    ("paid", "captured"),
    ("packed", "captured"),
    ("shipped", "captured"),
    ("return_requested", "captured"),
    ("return_received", "captured"),
    ("cancelled", "refund_pending"),
    ("cancelled", "captured"),
    ("refunded", "refund_failed"),
    ("payment_failed", "unknown"),
]


@pytest.mark.parametrize(("status", "payment"), BLOCKING)
def test_an_unfinished_order_refuses_the_erasure_and_nothing_changes(
    uow_factory: UowFactory, status: str, payment: str | None
) -> None:
    email, session = customer(uow_factory)
    user_id, sku = session.user_id, stocked(uow_factory)
    finished = checkout(uow_factory, user_id, sku)
    settle(uow_factory, finished, "delivered", "captured")
    unfinished = checkout(uow_factory, user_id, sku)
    settle(uow_factory, unfinished, status, payment)
    review_cases.add_review(uow_factory(), user_id, sku, 5, "Good", "Good mug.")
    cart.add_item(uow_factory(), cart.CartOwner(user_id), sku, 1)

    with pytest.raises(AccountHasOpenOrders) as refused:
        delete(uow_factory, user_id)
    assert refused.value.code == "account_has_open_orders"
    assert refused.value.details == {"order_ids": [unfinished]}
    still = row(uow_factory, users, users.c.id == user_id)
    assert (still.email, still.is_active) == (email, True)
    assert not refresh_fails(uow_factory, session.refresh_token)
    assert row(uow_factory, reviews, reviews.c.user_id == user_id) is not None
    with uow_factory() as uow:
        assert uow.orders.require(finished).shipping_address == ADDRESS
        assert uow.payments.for_order(finished).last4 == "4242"  # type: ignore[union-attr]
        assert len(uow.carts.lines(uow.carts.for_user(user_id))) == 1
    assert not any(e["type"] == "AccountDeleted" for e in events_of(uow_factory, user_id))


@pytest.mark.parametrize(("status", "payment"), [("cancelled", None), ("payment_failed", "failed"),
                                                 ("refunded", "refunded"),
                                                 ("cancelled", "cancelled")])  # fmt: skip
def test_finished_orders_do_not_refuse_it(
    uow_factory: UowFactory, status: str, payment: str | None
) -> None:
    _, session = customer(uow_factory)
    order_id = checkout(uow_factory, session.user_id, stocked(uow_factory))
    settle(uow_factory, order_id, status, payment)
    delete(uow_factory, session.user_id)
    assert not row(uow_factory, users, users.c.id == session.user_id).is_active


def test_a_wrong_password_erases_nothing_and_counts_as_a_login_guess(
    uow_factory: UowFactory,
) -> None:
    email, session = customer(uow_factory)
    rate = limiter(per_account=3)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed) as wrong:
            delete(uow_factory, session.user_id, "a guess, again", rate)
        assert wrong.value.code == "invalid_credentials"
    with pytest.raises(RateLimited):  # even the right password, like login
        delete(uow_factory, session.user_id, PASSWORD, rate)
    with pytest.raises(RateLimited):  # the same counter: login is locked out too
        auth.login(uow_factory(), AUTH, rate, (email, PASSWORD), "10.0.0.2")
    assert row(uow_factory, users, users.c.id == session.user_id).is_active
    assert not refresh_fails(uow_factory, session.refresh_token)


def test_erasure_ends_an_outstanding_password_reset_link(uow_factory: UowFactory) -> None:
    _, session = customer(uow_factory)
    now = utcnow()
    with uow_factory() as uow:
        uow.password_resets.replace(session.user_id, "h" * 64, now, now + timedelta(minutes=30))
        uow.commit()

    delete(uow_factory, session.user_id)

    with uow_factory() as uow:
        assert uow.password_resets.find_live("h" * 64, utcnow()) is None
