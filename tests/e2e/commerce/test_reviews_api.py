"""Reviews and ratings over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import outbox

Code = Callable[[Any], str]
Headers = dict[str, str]
Customer = Callable[[], Headers]
Stocked = Callable[..., str]
ADDRESS = {"name": "A", "line1": "1 Road", "city": "Leeds", "postcode": "LS1"}


def _buy(client: TestClient, me: Headers, sku: str, token: str) -> None:
    client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 1})
    body = {
        "country": "GB",
        "shipping_address": {**ADDRESS, "line1": f"{uuid.uuid4().hex[:6]} Road"},
        "payment": {"method": "card", "token": token},
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert client.post("/checkout", headers={**me, **key}, json=body).status_code == 201


def test_reviews_average_verified_and_events(
    client: TestClient, customer: Customer, stocked: Stocked, card: Callable[[str], str],
    session_factory: sessionmaker[Session], code: Code,
) -> None:  # fmt: skip
    buyer, browser, sku = customer(), customer(), stocked()
    _buy(client, buyer, sku, card("4242424242424242"))
    url = f"/products/{sku}/reviews"
    mine = client.post(url, headers=buyer, json={"rating": 5, "title": "Great", "body": "O'Brien"})
    assert mine.status_code == 201 and mine.json()["verified_purchase"] is True
    other = client.post(url, headers=browser, json={"rating": 2})
    assert other.status_code == 201 and other.json()["verified_purchase"] is False
    again = client.post(url, headers=buyer, json={"rating": 1})
    assert again.status_code == 409 and code(again) == "review_exists"
    page = client.get(url).json()
    assert page["rating"] == {"count": 2, "average": "3.50"}
    assert all("user_id" not in item for item in page["items"])
    assert client.put(f"{url}/mine", headers=browser, json={"rating": 4}).json()["rating"] == 4
    assert client.get(url).json()["rating"]["average"] == "4.50"
    with session_factory() as s:
        rated = [e for e in s.execute(select(outbox.c.event)).scalars()
                 if e["type"] == "ProductRated" and e["product_id"] == sku]  # fmt: skip
    assert sorted(e["payload"]["rating"] for e in rated) == [2, 4, 5]


def test_review_input_and_ownership(
    client: TestClient, customer: Customer, stocked: Stocked, code: Code
) -> None:
    alice, bob, sku = customer(), customer(), stocked()
    url = f"/products/{sku}/reviews"
    for rating in (0, 6, 3.5, "5", None):
        assert client.post(url, headers=alice, json={"rating": rating}).status_code == 422
    assert client.post(url, headers=alice, json={"rating": 3}).status_code == 201
    # bob can only ever address his own (absent) review, never alice's
    assert client.put(f"{url}/mine", headers=bob, json={"rating": 1}).status_code == 404
    assert client.delete(f"{url}/mine", headers=bob).status_code == 404
    assert client.get(url).json()["items"][0]["rating"] == 3
    assert client.post(url, json={"rating": 3}).status_code == 401
    missing = client.get("/products/NOPE/reviews")
    assert missing.status_code == 404 and code(missing) == "product_not_found"
    assert client.delete(f"{url}/mine", headers=alice).status_code == 204
    assert client.get(url).json()["rating"] == {"count": 0, "average": None}
