"""Forgotten passwords over HTTP, on SQLite and on the real PostgreSQL: the same answer for
every email, a mail (an .eml file from the embedded mailer) only for a real account, and a
single-use token that signs every session out."""

from __future__ import annotations

import email
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.mail import FileMailer
from commerce.adapters.orm import outbox, password_reset_tokens
from commerce.domain.events import utcnow
from commerce.service_layer.password_reset import ResetConfig

Code = Callable[[Any], str]
PASSWORD, NEW = "correct horse battery", "tr0ubadour and staple"
STOREFRONT = "https://shop.example"


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def container(container: Any, outbox_dir: Path) -> Any:
    """The commerce container with the embedded (file) mailer."""
    config = ResetConfig(FileMailer(outbox_dir), "shop <no-reply@shop.example>", STOREFRONT)
    container.extras["password_reset"] = config
    return container


def _mails(directory: Path) -> list[Message]:
    files = sorted(directory.glob("*.eml")) if directory.is_dir() else []
    return [email.message_from_bytes(path.read_bytes()) for path in files]


def _token(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(
        rf"{re.escape(STOREFRONT)}/reset-password#token=([A-Za-z0-9_-]+)", body.decode()
    )
    assert match, body
    return match.group(1)


def _account(client: TestClient) -> tuple[str, dict[str, Any]]:
    address = f"r{uuid.uuid4().hex[:10]}@example.com"
    assert (
        client.post("/auth/register", json={"email": address, "password": PASSWORD}).status_code
        == 201
    )
    tokens = client.post("/auth/login", json={"email": address, "password": PASSWORD}).json()
    return address, tokens


def _ask(client: TestClient, address: str) -> Any:
    return client.post("/auth/password-reset", json={"email": address})


def _confirm(client: TestClient, token: str, new: str = NEW) -> Any:
    return client.post("/auth/password-reset/confirm", json={"token": token, "new_password": new})


def test_known_and_unknown_emails_get_the_same_answer_and_only_one_mail(
    client: TestClient, outbox_dir: Path
) -> None:
    address, _ = _account(client)
    known = _ask(client, address.upper())  # any spelling of the account's email
    unknown = _ask(client, f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    mails = _mails(outbox_dir)
    assert len(mails) == 1
    assert mails[0]["To"] == address and "no-reply@shop.example" in mails[0]["From"]
    assert mails[0]["Subject"] and mails[0]["Message-ID"] and mails[0]["Date"]


def _older_token(user_id: str, secret: str) -> str:
    """An access token issued a few seconds ago without a password version, as tokens were
    issued before they carried one (judged by its ``iat``, which holds whole seconds)."""
    now = datetime.now(UTC)
    claims = {"sub": user_id, "role": "customer", "iss": "emporium", "aud": "emporium-api",
              "iat": now - timedelta(seconds=5), "exp": now + timedelta(minutes=5)}  # fmt: skip
    return jwt.encode(claims, secret)


def _me(client: TestClient, access_token: str) -> Any:
    return client.get("/me", headers={"Authorization": f"Bearer {access_token}"})


def test_the_mailed_token_resets_the_password_and_signs_every_session_out(
    client: TestClient, outbox_dir: Path, session_factory: sessionmaker[Session], jwt_secret: str
) -> None:
    address, old = _account(client)
    user_id = _me(client, old["access_token"]).json()["id"]
    older_access = _older_token(user_id, jwt_secret)
    assert _me(client, older_access).status_code == 200
    assert _ask(client, address).status_code == 202
    token = _token(_mails(outbox_dir)[0])
    assert _confirm(client, token).status_code == 204
    login = client.post("/auth/login", json={"email": address, "password": PASSWORD})
    assert login.status_code == 401  # the old password is dead
    refresh = client.post("/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refresh.status_code == 401  # so is every session
    assert _me(client, older_access).status_code == 401  # and access tokens issued before
    assert _me(client, old["access_token"]).status_code == 401  # even in the reset's second
    assert client.post("/auth/login", json={"email": address, "password": NEW}).status_code == 200
    with session_factory() as s:
        rows = s.execute(select(outbox.c.event)).scalars()
        envelopes = [e for e in rows if e["user_id"] == user_id]
    resets = [e for e in envelopes if e["type"] == "PasswordReset"]
    assert len(resets) == 1 and resets[0]["payload"]["sessions_revoked"] == 1
    assert token not in json.dumps(envelopes)


def test_a_token_works_once_and_garbage_never(
    client: TestClient, outbox_dir: Path, code: Code
) -> None:
    address, _ = _account(client)
    _ask(client, address)
    token = _token(_mails(outbox_dir)[0])
    assert _confirm(client, token).status_code == 204
    reuse = _confirm(client, token, "yet another password")
    assert reuse.status_code == 400 and code(reuse) == "invalid_reset_token"
    garbage = _confirm(client, "not-a-token")
    assert garbage.status_code == 400 and code(garbage) == "invalid_reset_token"
    assert client.post("/auth/login", json={"email": address, "password": NEW}).status_code == 200


def test_an_expired_token_is_refused(
    client: TestClient, outbox_dir: Path, session_factory: sessionmaker[Session], code: Code
) -> None:
    address, _ = _account(client)
    _ask(client, address)
    token = _token(_mails(outbox_dir)[0])
    with session_factory() as s:
        s.execute(update(password_reset_tokens).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    expired = _confirm(client, token)
    assert expired.status_code == 400 and code(expired) == "invalid_reset_token"
    assert (
        client.post("/auth/login", json={"email": address, "password": PASSWORD}).status_code == 200
    )


def test_a_new_request_replaces_the_earlier_token(
    client: TestClient, outbox_dir: Path, code: Code
) -> None:
    address, _ = _account(client)
    _ask(client, address)
    _ask(client, address)
    tokens = [_token(m) for m in _mails(outbox_dir)]
    assert len(set(tokens)) == 2  # both were mailed; only the last one works
    assert sorted(_confirm(client, t).status_code for t in tokens) == [204, 400]


def test_a_password_change_voids_an_outstanding_reset_link(
    client: TestClient, outbox_dir: Path, code: Code
) -> None:
    address, tokens = _account(client)
    _ask(client, address)
    token = _token(_mails(outbox_dir)[0])
    body = {"current_password": PASSWORD, "new_password": NEW}
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/auth/password", json=body, headers=headers).status_code == 200
    late = _confirm(client, token, "the attacker's choice")
    assert late.status_code == 400 and code(late) == "invalid_reset_token"
    assert client.post("/auth/login", json={"email": address, "password": NEW}).status_code == 200


def test_the_new_password_follows_registration_rules(
    client: TestClient, outbox_dir: Path, code: Code
) -> None:
    address, _ = _account(client)
    _ask(client, address)
    token = _token(_mails(outbox_dir)[0])
    weak = _confirm(client, token, "short")
    assert weak.status_code == 422 and code(weak) == "invalid_input" and "short" not in weak.text
    assert _confirm(client, token).status_code == 204  # the refused attempt used nothing up


def test_requests_are_rate_limited_per_email_known_or_not(
    client: TestClient, outbox_dir: Path, code: Code
) -> None:
    address, _ = _account(client)
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    for target in (address, unknown):
        answers = [_ask(client, target) for _ in range(6)]
        assert [a.status_code for a in answers] == [202] * 5 + [429]
        assert code(answers[-1]) == "rate_limited"
    assert len(_mails(outbox_dir)) == 5
    # login's own counters are untouched: the account still signs in
    assert (
        client.post("/auth/login", json={"email": address, "password": PASSWORD}).status_code == 200
    )


def test_requests_are_rate_limited_per_client_address(client: TestClient, code: Code) -> None:
    answers = [_ask(client, f"n{i}-{uuid.uuid4().hex[:6]}@example.com") for i in range(21)]
    assert [a.status_code for a in answers[:20]] == [202] * 20
    assert answers[20].status_code == 429 and code(answers[20]) == "rate_limited"


def _mail_that_fails(container: Any, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the mail directory should be")
    container.extras["password_reset"] = ResetConfig(
        FileMailer(blocked), "s@shop.example", STOREFRONT
    )


def test_a_mail_that_cannot_be_sent_leaves_no_token_behind(
    client: TestClient, container: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    _mail_that_fails(container, tmp_path)
    address, _ = _account(client)
    answer = _ask(client, address)
    assert answer.status_code == 202  # the answer never depends on the account, nor the mail
    login = client.post("/auth/login", json={"email": address, "password": PASSWORD})
    user_id = _me(client, login.json()["access_token"]).json()["id"]
    with session_factory() as s:
        rows = s.execute(
            select(password_reset_tokens).where(password_reset_tokens.c.user_id == user_id)
        ).all()
    assert rows == []


def _notices(directory: Path, address: str) -> list[Message]:
    return [m for m in _mails(directory) if m["Subject"] == "Your password was changed"
            and m["To"] == address]  # fmt: skip


def test_a_change_and_a_reset_each_mail_the_account_a_notice(
    client: TestClient, outbox_dir: Path
) -> None:
    """An owner whose password someone else changed (a stolen session, a hijacked mailbox
    link) heard nothing of it and was simply signed out."""
    address, tokens = _account(client)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    wrong = {"current_password": "not the password", "new_password": NEW}
    assert client.post("/auth/password", json=wrong, headers=headers).status_code == 401
    assert _notices(outbox_dir, address) == []  # nothing changed, nothing to tell
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert client.post("/auth/password", json=body, headers=headers).status_code == 200
    [notice] = _notices(outbox_dir, address)
    text = notice.get_payload(decode=True)
    assert isinstance(text, bytes) and f"{STOREFRONT}/forgot-password" in text.decode()
    assert NEW not in text.decode() and PASSWORD not in text.decode()
    _ask(client, address)
    reset_mail = next(m for m in _mails(outbox_dir) if m["Subject"] == "Reset your password")
    assert _confirm(client, _token(reset_mail), PASSWORD).status_code == 204
    assert len(_notices(outbox_dir, address)) == 2


def test_a_notice_that_cannot_be_sent_leaves_the_change_made(
    client: TestClient, container: Any, tmp_path: Path
) -> None:
    _mail_that_fails(container, tmp_path)
    address, tokens = _account(client)
    body = {"current_password": PASSWORD, "new_password": NEW}
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/auth/password", json=body, headers=headers).status_code == 200
    assert client.post("/auth/login", json={"email": address, "password": NEW}).status_code == 200
