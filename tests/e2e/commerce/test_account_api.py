"""Changing a password over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi.testclient import TestClient

Code = Callable[[Any], str]
Headers = dict[str, str]
PASSWORD, NEW = "correct horse battery", "a brand new passphrase"
SECRET = "e2e-secret-" + "x" * 40  # the e2e container's signing secret


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def _register(client: TestClient) -> str:
    email = f"acct{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 201
    return email


def _login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/auth/login", json={"email": email, "password": password})


def _change(client: TestClient, headers: Headers, current: str, new: str) -> Any:
    body = {"current_password": current, "new_password": new}
    return client.post("/auth/password", headers=headers, json=body)


def _older_token(user_id: str) -> str:
    """An access token issued a few seconds ago (iat has whole seconds: one issued in the
    change's own second is the fresh pair's)."""
    now = datetime.now(UTC)
    claims = {"sub": user_id, "role": "customer", "iss": "emporium", "aud": "emporium-api",
              "iat": now - timedelta(seconds=5), "exp": now + timedelta(minutes=5)}  # fmt: skip
    return jwt.encode(claims, SECRET)


def test_change_password_signs_every_session_out(client: TestClient, code: Code) -> None:
    email = _register(client)
    phone, laptop = _login(client, email).json(), _login(client, email).json()
    user_id = client.get("/me", headers=_bearer(phone["access_token"])).json()["id"]
    older = _older_token(user_id)
    assert client.get("/me", headers=_bearer(older)).status_code == 200
    changed = _change(client, _bearer(phone["access_token"]), PASSWORD, NEW)
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert set(fresh) == {"access_token", "refresh_token", "token_type", "expires_in"}
    for old in (phone, laptop):
        again = client.post("/auth/refresh", json={"refresh_token": old["refresh_token"]})
        assert again.status_code == 401 and code(again) == "invalid_token"
    stale = client.get("/me", headers=_bearer(older))
    assert stale.status_code == 401 and code(stale) == "invalid_token"
    assert client.get("/me", headers=_bearer(fresh["access_token"])).json()["id"] == user_id
    assert client.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).is_success
    assert _login(client, email).status_code == 401
    assert _login(client, email, NEW).status_code == 200


def test_bad_password_changes_get_stable_codes(client: TestClient, code: Code) -> None:
    email = _register(client)
    me = _bearer(_login(client, email).json()["access_token"])
    cases = [
        ({"current_password": "not the password", "new_password": NEW}, 401,
         "invalid_credentials"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, 422, "password_unchanged"),
        ({"current_password": PASSWORD, "new_password": "tiny"}, 422, "invalid_input"),
        ({"current_password": PASSWORD, "new_password": "x" * 500}, 422, "validation_error"),
        ({"current_password": PASSWORD}, 422, "validation_error"),
        ({"current_password": PASSWORD, "new_password": NEW, "email": "x"}, 422,
         "validation_error"),
    ]  # fmt: skip
    for body, status, expected in cases:
        response = client.post("/auth/password", headers=me, json=body)
        assert (response.status_code, code(response)) == (status, expected), body
        assert "tiny" not in response.text and "not the password" not in response.text
    short = client.post("/auth/password", headers=me,
                        json={"current_password": PASSWORD, "new_password": "tiny"})  # fmt: skip
    assert short.json()["error"]["details"] == {"field": "new_password"}
    anonymous = client.post("/auth/password", json={"current_password": PASSWORD,
                                                    "new_password": NEW})  # fmt: skip
    assert anonymous.status_code == 401 and code(anonymous) == "invalid_token"
    assert _login(client, email).status_code == 200  # nothing changed


def test_password_guesses_share_the_login_limit(client: TestClient, code: Code) -> None:
    """With a stolen access token, the change endpoint must not be a faster password oracle
    than login: both count against one per-account limit."""
    email = _register(client)
    me = _bearer(_login(client, email).json()["access_token"])  # 1 attempt
    statuses = [_change(client, me, f"guess number {k}", NEW).status_code for k in range(10)]
    assert statuses[:9] == [401] * 9 and statuses[-1] == 429
    right = _change(client, me, PASSWORD, NEW)
    assert right.status_code == 429 and code(right) == "rate_limited"
    assert _login(client, email).status_code == 429
