"""Two confirms with one password-reset token on the real PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from account_support import AUTH
from account_support import limiter as login_limiter
from sqlalchemy import Engine, event

from commerce.adapters.mail import FileMailer
from commerce.domain.errors import AuthenticationFailed, InvalidResetToken
from commerce.service_layer import auth, password_reset
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
HASHER = AUTH.hasher


def _mailed_token(uow: UowFactory, tmp_path: Path) -> tuple[str, str]:
    """A new account and the token of the reset mail it was sent: (email, token)."""
    address = f"race-{uuid.uuid4().hex[:10]}@example.com"
    auth.register(uow(), HASHER, address, "correct horse battery")
    config = password_reset.ResetConfig(FileMailer(tmp_path), "s@x.example", "https://x")
    pending = password_reset.request_reset(uow(), login_limiter(), config, address, "10.0.0.1")
    assert pending is not None and password_reset.deliver(uow(), config.mailer, pending)
    body = pending.message.get_content()
    return address, body.split("token=", 1)[1].split()[0]


@pytest.mark.postgres
def test_two_confirms_with_one_token_exactly_one_wins(
    pg: tuple[Engine, UowFactory], tmp_path: Path
) -> None:
    """Both find the token live before either writes (held at a barrier after that read);
    the conditional update of ``used_at`` lets one through, the other finds it used."""
    engine, uow = pg
    address, token = _mailed_token(uow, tmp_path)
    racers: set[int] = set()
    both_read = threading.Barrier(2, timeout=30)

    def hold_after_token_read(_conn: Any, _c: Any, statement: str, *_: Any) -> None:
        if (
            threading.get_ident() in racers
            and statement.startswith("SELECT")
            and ("FROM password_reset_tokens" in statement)
        ):
            both_read.wait()

    event.listen(engine, "after_cursor_execute", hold_after_token_read)

    def confirm(new: str) -> tuple[str, Exception | None]:
        racers.add(threading.get_ident())
        cmd = password_reset.ResetConfirmation(token, new)
        try:
            password_reset.confirm_reset(uow(), HASHER, cmd)
        except InvalidResetToken as e:
            return new, e
        return new, None

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(confirm, ["first new password", "second new password"]))
    event.remove(engine, "after_cursor_execute", hold_after_token_read)
    winners = [new for new, error in outcomes if error is None]
    assert len(winners) == 1, outcomes
    limiter = login_limiter()
    for new, error in outcomes:
        credentials = (address, new)
        if error is None:
            assert auth.login(uow(), AUTH, limiter, credentials, "10.0.0.2").user_id
        else:
            with pytest.raises(AuthenticationFailed):
                auth.login(uow(), AUTH, limiter, credentials, "10.0.0.2")
