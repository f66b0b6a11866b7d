"""Changing a password and exporting one's data over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import carts

Code = Callable[[Any], str]
Headers = dict[str, str]
Stocked = Callable[..., str]
PASSWORD, NEW = "correct horse battery", "a brand new passphrase"
SECRET = "e2e-secret-" + "x" * 40  # the e2e container's signing secret
ADDRESS = {"name": "Ada", "line1": "1 High St", "city": "York", "postcode": "YO1 7HH"}


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
    """An access token issued a few seconds ago without a password version, as tokens were
    issued before they carried one (judged by its ``iat``, which has whole seconds)."""
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
    for old in (phone, laptop):  # issued moments before the change, most likely in its second
        mine = client.get("/me", headers=_bearer(old["access_token"]))
        assert mine.status_code == 401 and code(mine) == "invalid_token"
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


def _shop(client: TestClient, me: Headers, stocked: Stocked, card: Callable[[str], str]) -> str:
    """Two paid orders (one then cancelled and refunded), a review, one line left in the
    cart. Returns the sku."""
    sku = stocked("4.25", stock=20)
    order_ids = []
    for n in (2, 1):
        assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": n}).is_success
        body = {"country": "GB", "shipping_address": {**ADDRESS, "line1": uuid.uuid4().hex[:8]},
                "payment": {"method": "card", "token": card("4242424242424242")}}  # fmt: skip
        paid = client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex},
                           json=body)  # fmt: skip
        assert paid.status_code == 201, paid.text
        order_ids.append(paid.json()["id"])
    assert client.post(f"/orders/{order_ids[1]}/cancel", headers=me).status_code == 200
    review = {"rating": 4, "title": "Sturdy", "body": "Holds tea."}
    assert client.post(f"/products/{sku}/reviews", headers=me, json=review).status_code == 201
    assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 3}).is_success
    return sku


def test_export_holds_my_data_and_nobody_elses(
    client: TestClient, stocked: Stocked, card: Callable[[str], str]
) -> None:
    mine_email, theirs_email = _register(client), _register(client)
    me = _bearer(_login(client, mine_email).json()["access_token"])
    them = _bearer(_login(client, theirs_email).json()["access_token"])
    my_sku, their_sku = _shop(client, me, stocked, card), _shop(client, them, stocked, card)
    their_orders = [o["id"] for o in client.get("/orders", headers=them).json()["items"]]

    response = client.get("/users/me/export", headers=me)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    doc = response.json()
    assert doc["profile"]["email"] == mine_email and doc["format_version"] == 1
    assert [o["payment_status"] for o in doc["orders"]] == ["refunded", "captured"]
    cancelled, paid = doc["orders"]
    assert paid["total"] == str(Decimal(paid["subtotal"]) + Decimal(paid["shipping"])
                                + Decimal(paid["tax"]))  # fmt: skip
    assert paid["lines"] == [{"sku": my_sku, "name": f"Item {my_sku}", "unit_price": "4.25",
                              "quantity": 2, "line_total": "8.50"}]  # fmt: skip
    assert cancelled["status"] == "cancelled"
    assert cancelled["payment"]["refunded_amount"] == cancelled["payment"]["amount"]
    assert paid["payment"]["card_last4"] == "4242" and paid["shipping_address"]["city"] == "York"
    assert [(r["sku"], r["rating"]) for r in doc["reviews"]] == [(my_sku, 4)]
    assert [(ln["sku"], ln["quantity"]) for ln in doc["cart"]["lines"]] == [(my_sku, 3)]
    assert doc["cart"]["subtotal"] == "12.75" and len(doc["sessions"]) == 1
    for stamp in (doc["exported_at"], doc["profile"]["created_at"], paid["placed_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)
    text = response.text
    assert their_sku not in text and theirs_email not in text
    assert not any(order_id in text for order_id in their_orders)
    assert "argon2" not in text and "password_hash" not in text
    assert "token" not in json.dumps(paid["payment"])  # the provider's card token stays ours


def test_export_of_a_new_account_is_empty_and_creates_nothing(
    client: TestClient, session_factory: sessionmaker[Session], code: Code
) -> None:
    me = _bearer(_login(client, _register(client)).json()["access_token"])
    doc = client.get("/users/me/export", headers=me).json()
    assert (doc["orders"], doc["reviews"], doc["cart"]["lines"]) == ([], [], [])
    assert doc["cart"]["subtotal"] == "0.00" and doc["profile"]["password_changed_at"] is None
    with session_factory() as session:  # no cart row was made for the answer's empty cart
        query = (
            select(func.count()).select_from(carts).where(carts.c.user_id == doc["profile"]["id"])
        )
        assert session.execute(query).scalar_one() == 0
    unauthenticated = client.get("/users/me/export")
    assert unauthenticated.status_code == 401 and code(unauthenticated) == "invalid_token"
    bogus = client.get("/users/me/export", headers=_bearer("not.a.jwt"))
    assert bogus.status_code == 401 and code(bogus) == "invalid_token"


def test_exports_are_limited_per_account(client: TestClient, container: Any, code: Code) -> None:
    """Each export reads every order of the account: five an hour per account (the
    default of ``EMPORIUM_AUTH__EXPORTS_PER_HOUR``), then 429 as login's limit answers;
    another account is not held back. Before, every request was served."""
    me = _bearer(_login(client, _register(client)).json()["access_token"])
    them = _bearer(_login(client, _register(client)).json()["access_token"])
    statuses = [client.get("/users/me/export", headers=me).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = client.get("/users/me/export", headers=me)
    assert refused.status_code == 429 and code(refused) == "rate_limited"
    assert refused.json()["error"]["details"] == {"retry_after_seconds": 3600}
    assert refused.headers["Retry-After"] == "3600"
    assert client.get("/users/me/export", headers=them).status_code == 200
    container.extras["exports_per_hour"] = 7  # the setting, as the real container carries it
    assert client.get("/users/me/export", headers=me).status_code == 200
