"""Accounts over HTTP: register, login, refresh rotation, logout, and token attacks."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi.testclient import TestClient

from commerce.adapters.cache import InProcessCache

Code = Callable[[Any], str]
PASSWORD = "correct horse battery"
SECRET = "e2e-secret-" + "x" * 40  # the e2e container's signing secret


def _register_login(client: TestClient) -> tuple[str, dict[str, Any]]:
    email = f"u{uuid.uuid4().hex[:10]}@Example.com"
    assert (
        client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code
        == 201
    )
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return email, response.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_me(client: TestClient) -> None:
    email, tokens = _register_login(client)
    me = client.get("/me", headers=_bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email.lower() and me.json()["role"] == "customer"
    assert "password" not in json.dumps(me.json())


def test_duplicate_email_and_weak_password_are_refused(client: TestClient, code: Code) -> None:
    email, _ = _register_login(client)
    again = client.post("/auth/register", json={"email": email.upper(), "password": PASSWORD})
    assert again.status_code == 409 and code(again) == "email_taken"
    weak = client.post("/auth/register", json={"email": "a" + email, "password": "short"})
    assert weak.status_code == 422 and "short" not in weak.text
    bad = client.post("/auth/register", json={"email": "not-an-email", "password": PASSWORD})
    assert bad.status_code == 422 and code(bad) == "invalid_input"


def test_wrong_password_is_401(client: TestClient, code: Code) -> None:
    email, _ = _register_login(client)
    response = client.post("/auth/login", json={"email": email, "password": "wrong password!"})
    assert response.status_code == 401 and code(response) == "invalid_credentials"


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient, code: Code) -> None:
    _, tokens = _register_login(client)
    first = tokens["refresh_token"]
    rotated = client.post("/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first
    reuse = client.post("/auth/refresh", json={"refresh_token": first})
    assert reuse.status_code == 401 and code(reuse) == "invalid_token"
    # the stolen token's reuse killed the legitimate successor too
    assert client.post("/auth/refresh", json={"refresh_token": second}).status_code == 401


def test_logout_revokes_the_refresh_token(client: TestClient) -> None:
    _, tokens = _register_login(client)
    assert (
        client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 204
    )
    again = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def _claims(user_id: str, **override: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "role": "admin",
        "iss": "emporium",
        "aud": "emporium-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(override)
    return claims


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_tokens_are_401(client: TestClient, code: Code) -> None:
    _, tokens = _register_login(client)
    user_id = client.get("/me", headers=_bearer(tokens["access_token"])).json()["id"]
    now = int(datetime.now(UTC).timestamp())
    body = {
        "sub": user_id,
        "role": "admin",
        "iss": "emporium",
        "aud": "emporium-api",
        "iat": now,
        "exp": now + 300,
    }
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(body)}."
    head, _payload, sig = tokens["access_token"].split(".")
    tampered = f"{head}.{_b64({**body, 'role': 'admin'})}.{sig}"
    attacks = {
        "alg none": alg_none,
        "tampered": tampered,
        "expired": jwt.encode(
            _claims(user_id, exp=datetime.now(UTC) - timedelta(seconds=5)), SECRET
        ),
        "wrong audience": jwt.encode(_claims(user_id, aud="someone-else"), SECRET),
        "wrong issuer": jwt.encode(_claims(user_id, iss="evil"), SECRET),
        "wrong key": jwt.encode(_claims(user_id), "another-secret-" + "y" * 40),
        "garbage": "not.a.jwt",
    }
    for name, token in attacks.items():
        response = client.get("/me", headers=_bearer(token))
        assert response.status_code == 401, name
        assert code(response) == "invalid_token", name
    assert client.get("/me").status_code == 401


def test_customer_cannot_use_admin_routes(
    client: TestClient, customer: Callable[[], dict[str, str]], code: Code
) -> None:
    response = client.post(
        "/admin/products",
        headers=customer(),
        json={"sku": "X1", "name": "x", "price": "1.00", "currency": "GBP"},
    )
    assert response.status_code == 403 and code(response) == "forbidden"


def test_login_is_rate_limited_per_account(client: TestClient, code: Code) -> None:
    email, _ = _register_login(client)
    statuses = [
        client.post("/auth/login", json={"email": email, "password": "wrong password!"}).status_code
        for _ in range(12)
    ]
    assert statuses[:9] == [401] * 9 and statuses[-1] == 429
    # even the right password is refused while the account is locked out
    right = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert right.status_code == 429 and code(right) == "rate_limited"


def test_a_refused_login_says_how_long_is_left_of_its_window(
    client: TestClient, container: Any, code: Code
) -> None:
    """A 429 answered the whole window (900 s) however much of it had passed, and had no
    ``Retry-After`` header: a client waiting as told waited up to 15 minutes too long."""
    now = [1_000.0]
    container.cache = InProcessCache(clock=lambda: now[0])  # the counters' engine, its clock
    email, _ = _register_login(client)  # the account's first attempt: its window starts
    for _ in range(10):
        client.post("/auth/login", json={"email": email, "password": "wrong password!"})
    now[0] += 600.5
    refused = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 429 and code(refused) == "rate_limited"
    assert refused.json()["error"]["details"] == {"retry_after_seconds": 300}
    assert refused.headers["Retry-After"] == "300"
    now[0] += 299.5  # the window is over: the right password is let in
    assert client.post("/auth/login", json={"email": email, "password": PASSWORD}).is_success


def test_the_account_limit_counts_every_spelling_of_the_email(
    client: TestClient, code: Code
) -> None:
    """Each spelling (case, a fullwidth letter in the domain) had a counter of its own, so an
    attacker got 10 more guesses per spelling of one account."""
    email, _ = _register_login(client)
    local, domain = email.split("@")
    spellings = [email, email.upper(), f"{local}@\uff45{domain[1:]}"]
    statuses = [
        client.post("/auth/login", json={"email": spellings[k % 3], "password": "wrong!wrong!"})
        .status_code
        for k in range(12)
    ]  # fmt: skip
    assert statuses[:9] == [401] * 9 and statuses[-1] == 429
    right = client.post("/auth/login", json={"email": spellings[2], "password": PASSWORD})
    assert right.status_code == 429 and code(right) == "rate_limited"


def test_registration_is_rate_limited_per_address(client: TestClient, code: Code) -> None:
    """Unlimited, it hashed a password per call (64 MiB each) and answered, at full speed,
    which emails have accounts."""
    statuses = [
        client.post("/auth/register", json={"email": f"r{uuid.uuid4().hex[:10]}@example.com",
                                             "password": PASSWORD}).status_code
        for _ in range(21)
    ]  # fmt: skip
    assert statuses[:20] == [201] * 20 and statuses[20] == 429


def test_searches_cannot_evict_the_login_limits(client: TestClient, container: Any) -> None:
    """Counters shared the cache's LRU: 10,000 cached searches reset a locked account."""
    email, _ = _register_login(client)
    for _ in range(11):
        client.post("/auth/login", json={"email": email, "password": "wrong!wrong!"})
    for k in range(container.cache._max_items + 10):
        container.cache.set(f"search:{k}", b"results", ttl_s=60)
    right = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert right.status_code == 429


def test_a_signed_token_for_an_account_that_does_not_exist_is_401(
    client: TestClient, code: Code
) -> None:
    """A valid signature is not enough: it used to reach the cart and fail there (500)."""
    token = jwt.encode(_claims(f"ghost-{uuid.uuid4().hex}", role="customer"), SECRET)
    for method, path, body in (
        ("GET", "/cart", None),
        ("POST", "/cart/items", {"sku": "X", "quantity": 1}),
        ("GET", "/orders", None),
    ):
        response = client.request(method, path, headers=_bearer(token), json=body)
        assert response.status_code == 401 and code(response) == "invalid_token", path
