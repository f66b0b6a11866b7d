"""Deleting one's account over HTTP (``DELETE /users/me``), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import orders, users

Code = Callable[[Any], str]
Headers = dict[str, str]
Stocked = Callable[..., str]
PASSWORD = "correct horse battery"
ADDRESS = {"name": "Ada Lovelace", "line1": "12 Marylebone Rd", "city": "London",
           "postcode": "NW1 5LR"}  # fmt: skip


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def _register(client: TestClient) -> str:
    email = f"gone{uuid.uuid4().hex[:10]}@example.com"
    assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).is_success
    return email


def _login(client: TestClient, email: str) -> Any:
    return client.post("/auth/login", json={"email": email, "password": PASSWORD})


def _delete(client: TestClient, headers: Headers, password: str = PASSWORD) -> Any:
    return client.request("DELETE", "/users/me", headers=headers,
                          json={"current_password": password})  # fmt: skip


def _buy(client: TestClient, me: Headers, sku: str, card: Callable[[str], str]) -> str:
    assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 1}).is_success
    body = {"country": "GB", "shipping_address": ADDRESS,
            "payment": {"method": "card", "token": card("4242424242424242")}}  # fmt: skip
    paid = client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex}, json=body)
    assert paid.status_code == 201, paid.text
    return str(paid.json()["id"])


def test_deleting_my_account_forgets_me_and_frees_my_email(
    client: TestClient, admin: Headers, stocked: Stocked, card: Callable[[str], str], code: Code,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    email = _register(client)
    session = _login(client, email).json()
    me = _bearer(session["access_token"])
    user_id = client.get("/me", headers=me).json()["id"]
    sku = stocked("4.25", stock=5)
    order_id = _buy(client, me, sku, card)
    review = {"rating": 1, "title": "Leaks", "body": "Leaks tea everywhere."}
    assert client.post(f"/products/{sku}/reviews", headers=me, json=review).status_code == 201

    refused = _delete(client, me)  # paid, not yet delivered
    assert refused.status_code == 409 and code(refused) == "account_has_open_orders"
    assert refused.json()["error"]["details"] == {"order_ids": [order_id]}
    assert client.get("/me", headers=me).status_code == 200  # nothing changed
    for step in ("pack", "ship", "deliver"):
        body = {"carrier": "DHL", "tracking_number": uuid.uuid4().hex[:10]}
        moved = client.post(f"/admin/orders/{order_id}/{step}", headers=admin, json=body)
        assert moved.status_code == 200, moved.text
    assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 2}).is_success

    deleted = _delete(client, me)
    assert deleted.status_code == 204 and deleted.content == b""
    again = _delete(client, me)
    assert again.status_code == 401 and code(again) == "invalid_token"
    assert client.get("/users/me/export", headers=me).status_code == 401
    stale = client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert stale.status_code == 401
    login = _login(client, email)  # as for an email never registered
    assert login.status_code == 401 and code(login) == "invalid_credentials"
    assert client.get(f"/products/{sku}/reviews").json()["rating"]["count"] == 0
    kept = client.get(f"/admin/orders/{order_id}", headers=admin).json()
    assert (kept["status"], kept["subtotal"], len(kept["lines"])) == ("delivered", "4.25", 1)
    with session_factory() as db:
        address = db.execute(select(orders.c.shipping_address).where(orders.c.id == order_id))
        assert address.scalar_one() == {"erased": True}
        stored = db.execute(select(users.c.email).where(users.c.id == user_id)).scalar_one()
        assert email not in stored

    assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).is_success
    fresh = _bearer(_login(client, email).json()["access_token"])
    doc = client.get("/users/me/export", headers=fresh).json()
    assert doc["profile"]["id"] != user_id and doc["profile"]["email"] == email
    assert (doc["orders"], doc["reviews"], doc["cart"]["lines"]) == ([], [], [])
    assert client.get("/orders", headers=fresh).json()["items"] == []


def test_a_wrong_password_deletes_nothing(client: TestClient, code: Code) -> None:
    email = _register(client)
    me = _bearer(_login(client, email).json()["access_token"])
    wrong = _delete(client, me, "not my password")
    assert wrong.status_code == 401 and code(wrong) == "invalid_credentials"
    assert "not my password" not in wrong.text
    missing = client.request("DELETE", "/users/me", headers=me, json={})
    assert missing.status_code == 422 and code(missing) == "validation_error"
    anonymous = client.request("DELETE", "/users/me", json={"current_password": PASSWORD})
    assert anonymous.status_code == 401 and code(anonymous) == "invalid_token"
    assert client.get("/me", headers=me).status_code == 200
    assert _login(client, email).status_code == 200
