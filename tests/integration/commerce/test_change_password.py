"""Changing a password on SQLite and on the real PostgreSQL: every session signed out in the
same transaction, guesses counted with login's, and races settled by the database."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from account_support import AUTH, refresh_fails
from account_support import limiter as login_limiter
from sqlalchemy import Engine, event, text

from commerce.domain.errors import (
    AuthenticationFailed,
    PasswordUnchanged,
    RateLimited,
)
from commerce.service_layer import auth
from commerce.service_layer.rate_limit import LoginRateLimiter
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
OLD, NEW = "correct horse battery", "tr0ubadour and staple"


def _account(uow_factory: UowFactory) -> str:
    email = f"pw-{uuid.uuid4().hex[:12]}@example.com"
    auth.register(uow_factory(), AUTH.hasher, email, OLD)
    return email


def _login(uow_factory: UowFactory, email: str, password: str = OLD) -> auth.TokenPair:
    return auth.login(uow_factory(), AUTH, login_limiter(), (email, password), "10.0.0.1")


def _change(uow: UowFactory, user_id: str, current: str = OLD, new: str = NEW,
            limiter: LoginRateLimiter | None = None) -> auth.TokenPair:  # fmt: skip
    cmd = auth.PasswordChange(user_id, current, new, "10.0.0.1")
    return auth.change_password(uow(), AUTH, limiter or login_limiter(), cmd)


def test_change_signs_out_every_session_and_returns_a_working_pair(
    uow_factory: UowFactory,
) -> None:
    email = _account(uow_factory)
    phone, laptop = _login(uow_factory, email), _login(uow_factory, email)
    pair = _change(uow_factory, phone.user_id)
    assert refresh_fails(uow_factory, phone.refresh_token)
    assert refresh_fails(uow_factory, laptop.refresh_token)
    assert auth.refresh(uow_factory(), AUTH, pair.refresh_token).user_id == phone.user_id
    with pytest.raises(AuthenticationFailed):
        _login(uow_factory, email, OLD)
    assert _login(uow_factory, email, NEW).user_id == phone.user_id
    with uow_factory() as uow:
        user = uow.users.get(phone.user_id)
    assert user is not None and user.password_changed_at is not None


def test_wrong_or_unchanged_password_changes_nothing(uow_factory: UowFactory) -> None:
    email = _account(uow_factory)
    session = _login(uow_factory, email)
    with pytest.raises(AuthenticationFailed) as wrong:
        _change(uow_factory, session.user_id, current="not my password!")
    assert wrong.value.code == "invalid_credentials"
    with pytest.raises(PasswordUnchanged):
        _change(uow_factory, session.user_id, new=OLD)
    assert not refresh_fails(uow_factory, session.refresh_token)  # still signed in
    assert _login(uow_factory, email, OLD).user_id == session.user_id


def test_guesses_count_against_the_login_limit(uow_factory: UowFactory) -> None:
    email = _account(uow_factory)
    user_id = _login(uow_factory, email).user_id
    limiter = login_limiter(per_account=3)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            _change(uow_factory, user_id, current="a guess, again", limiter=limiter)
    with pytest.raises(RateLimited):  # even the right password, like login
        _change(uow_factory, user_id, limiter=limiter)
    with pytest.raises(RateLimited):  # the same counter: login is locked out too
        auth.login(uow_factory(), AUTH, limiter, (email.upper(), OLD), "10.0.0.2")


def test_two_changes_from_the_same_password_one_wins(uow_factory: UowFactory) -> None:
    """Both check the old password before either writes; the conditional update lets exactly
    one store its hash, and only the winner's session survives."""
    email = _account(uow_factory)
    user_id = _login(uow_factory, email).user_id
    barrier = threading.Barrier(2)

    def change(new: str) -> Any:
        barrier.wait()
        try:
            return new, _change(uow_factory, user_id, new=new)
        except AuthenticationFailed as e:
            return new, e

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(change, ["first new password", "second new password"]))
    won = [(new, r) for new, r in outcomes if isinstance(r, auth.TokenPair)]
    lost = [(new, r) for new, r in outcomes if isinstance(r, AuthenticationFailed)]
    assert len(won) == 1 and len(lost) == 1
    (winner, pair), (loser, _) = won[0], lost[0]
    assert _login(uow_factory, email, winner).user_id == user_id
    with pytest.raises(AuthenticationFailed):
        _login(uow_factory, email, loser)
    assert not refresh_fails(uow_factory, pair.refresh_token)


def _waits_on_a_lock(uow: UowFactory, statement: str) -> bool:
    with uow() as u:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query LIKE :q"
        )
        return bool(u.session.execute(query, {"q": f"{statement}%"}).scalar_one())


@pytest.mark.postgres
def test_a_refresh_racing_a_password_change_is_signed_out_too(
    pg: tuple[Engine, UowFactory],
) -> None:
    """READ COMMITTED: a rotation committing after the change's revoke statement began was
    not seen by it, so a session refreshed mid-change survived. Refresh now share-locks the
    user: it is held here between that lock and its commit, the change must wait for it,
    and then revokes the token the refresh issued."""
    engine, pg_uow = pg
    email = _account(pg_uow)
    session = _login(pg_uow, email)
    locked, release = threading.Event(), threading.Event()
    refresher: list[int] = []

    def pause_after_user_lock(conn: Any, _c: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() in refresher and "FOR SHARE" in statement:
            locked.set()
            assert release.wait(30)

    event.listen(engine, "after_cursor_execute", pause_after_user_lock)

    def do_refresh() -> auth.TokenPair:
        refresher.append(threading.get_ident())
        return auth.refresh(pg_uow(), AUTH, session.refresh_token)

    with ThreadPoolExecutor(2) as pool:
        refreshed = pool.submit(do_refresh)
        assert locked.wait(30), "refresh took no lock on the user"
        changed = pool.submit(_change, pg_uow, session.user_id)
        for _ in range(300):  # until the change waits on the refresh's lock (or is done)
            if changed.done() or _waits_on_a_lock(pg_uow, "UPDATE users"):
                break
            threading.Event().wait(0.1)
        assert not changed.done(), "the change did not wait for the refresh in flight"
        release.set()
        new_pair, rotated = changed.result(30), refreshed.result(30)
    assert refresh_fails(pg_uow, rotated.refresh_token)
    assert not refresh_fails(pg_uow, new_pair.refresh_token)
