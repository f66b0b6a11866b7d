"""Bad input to the commerce API: a clear 4xx with a stable code, and nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

Code = Callable[[Any], str]
Headers = dict[str, str]
Customer = Callable[[], Headers]
Stocked = Callable[..., str]
ADDRESS = {"name": "Ada", "line1": "1 High St", "city": "York", "postcode": "YO1 7HH"}
OK_CARD = "4242424242424242"
JSON = {"content-type": "application/json"}


def _checkout(token: str) -> dict[str, Any]:
    return {"country": "GB", "shipping_address": ADDRESS,
            "payment": {"method": "card", "token": token}}  # fmt: skip


def _stock(client: TestClient, admin: Headers, sku: str) -> tuple[int, int]:
    level = client.get(f"/admin/inventory/{sku}", headers=admin).json()
    return level["available"], level["reserved"]


def test_concurrent_checkouts_of_one_cart_place_one_order(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    """A double-clicked "Pay" whose client makes a new Idempotency-Key per click: one cart
    is one order, charged once (PostgreSQL used to place and charge one order per click)."""
    me, sku, token = customer(), stocked("10.00", stock=50), card(OK_CARD)
    assert (
        client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 2}).status_code == 200
    )

    def pay(_: int) -> Any:
        headers = {**me, "Idempotency-Key": uuid.uuid4().hex}
        return client.post("/checkout", headers=headers, json=_checkout(token))

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(pay, range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert {code(r) for r in responses if r.status_code == 409} == {"empty_cart"}
    assert client.get("/orders", headers=me).json()["total"] == 1
    assert _stock(client, admin, sku) == (48, 0)


def test_prices_in_a_currency_the_shop_does_not_sell_in_are_refused_and_not_stored(
    client: TestClient, admin: Headers, sku: Callable[[], str], stocked: Stocked, code: Code
) -> None:
    """Shipping fees and the free-shipping threshold are in the shop's currency (GBP), so a
    product priced in another was sold with pounds of shipping added to yen."""
    for currency in ("USD", "XYZ"):
        new = sku()
        body = {"sku": new, "name": "x", "price": "1.00", "currency": currency}
        response = client.post("/admin/products", headers=admin, json=body)
        assert response.status_code == 422 and code(response) == "invalid_input", currency
        assert response.json()["error"]["details"] == {"field": "currency", "allowed": ["GBP"]}
        assert client.get(f"/admin/products/{new}", headers=admin).status_code == 404
    existing = stocked("7.00", stock=5)
    edit = client.patch(f"/admin/products/{existing}", headers=admin, json={"currency": "EUR"})
    assert edit.status_code == 422 and code(edit) == "invalid_input"
    assert client.get(f"/admin/products/{existing}", headers=admin).json()["currency"] == "GBP"


def test_prices_past_a_million_are_refused(
    client: TestClient, admin: Headers, sku: Callable[[], str], code: Code
) -> None:
    """99 of each of 50 lines at that price still fit an order's money columns (12 digits)."""
    body = {"sku": sku(), "name": "x", "price": "1000000.01", "currency": "GBP"}
    response = client.post("/admin/products", headers=admin, json=body)
    assert response.status_code == 422 and code(response) == "validation_error"


def test_product_attributes_json_cannot_hold_are_refused_and_not_stored(
    client: TestClient, admin: Headers, sku: Callable[[], str], code: Code
) -> None:
    """A lone surrogate used to be written, then break every read of the catalog (500);
    NaN and Infinity were silently stored as null."""
    for value in ('"\\ud800"', "NaN", "Infinity", "-Infinity", "1e999"):
        new = sku()
        head = f'{{"sku":"{new}","name":"x","price":"1.00","currency":"GBP"'
        body = head + f',"attributes":{{"w":{value}}}}}'
        response = client.post("/admin/products", headers={**admin, **JSON}, content=body)
        assert response.status_code == 422 and code(response) == "invalid_input", value
        assert response.json()["error"]["details"] == {"field": "attributes"}
        assert client.get(f"/admin/products/{new}", headers=admin).status_code == 404
    assert client.get("/admin/products?size=100", headers=admin).status_code == 200


def test_nul_characters_are_refused_before_they_reach_the_database(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked, code: Code
) -> None:
    """PostgreSQL cannot store or even compare text holding NUL: it used to answer 400 with
    the SQL statement and its parameters in the message."""
    me, sku = customer(), stocked()
    for url, headers in (
        ("/products/%00", me), (f"/admin/products/a%00{sku}", admin),
        ("/admin/products?category=%00", admin), ("/orders/%00", me),
        (f"/products/{sku}/reviews?x=%00", me),
    ):  # fmt: skip
        response = client.get(url, headers=headers)
        assert response.status_code == 422 and code(response) == "validation_error", url
        assert "SELECT" not in response.text

    review = {"rating": 4, "title": "fine\u0000"}
    response = client.post(f"/products/{sku}/reviews", headers=me, json=review)
    assert response.status_code == 422 and code(response) == "validation_error"
    assert response.json()["error"]["details"][0]["loc"] == ["body", "title"]
    assert client.get(f"/products/{sku}/reviews").json()["rating"]["count"] == 0

    adjust = {"delta": 1, "reason": "count\u0000"}
    response = client.post(f"/admin/inventory/{sku}/adjust", headers=admin, json=adjust)
    assert response.status_code == 422 and code(response) == "validation_error"
    assert _stock(client, admin, sku) == (10, 0)

    address = {**ADDRESS, "name": "\u0000"}
    body = {**_checkout("tok_x"), "shipping_address": address}
    response = client.post("/checkout", headers={**me, "Idempotency-Key": "k1"}, json=body)
    assert response.status_code == 422 and code(response) == "validation_error"


def test_unknown_order_status_filter_is_a_validation_error(
    client: TestClient, admin: Headers, code: Code
) -> None:
    response = client.get("/admin/orders?status=shiped", headers=admin)
    assert response.status_code == 422 and code(response) == "validation_error"
    assert "shipped" in response.json()["error"]["details"]["allowed"]
    assert client.get("/admin/orders?status=shipped", headers=admin).status_code == 200


def test_carrier_webhook_with_a_deeply_nested_body_is_refused(
    client: TestClient, code: Code
) -> None:
    from commerce.adapters.webhook_signatures import sign

    raw = b'{"a":' * 5000 + b"1" + b"}" * 5000
    headers = {"X-Carrier-Signature": sign(b"carrier-test-secret", raw), **JSON}
    response = client.post("/webhooks/carrier", content=raw, headers=headers)
    assert response.status_code == 422 and code(response) == "invalid_input"


def test_product_attributes_nested_too_deep_are_refused_and_not_stored(
    client: TestClient, admin: Headers, sku: Callable[[], str], stocked: Stocked, code: Code
) -> None:
    """Attributes 300 levels deep used to be written, then answered 500 (the JSON encoder
    stops at 255 levels), and so did every read of the catalog that listed the product."""
    deep = "[" * 300 + "]" * 300
    new = sku()
    head = f'{{"sku":"{new}","name":"x","price":"1.00","currency":"GBP"'
    body = head + f',"attributes":{{"w":{deep}}}}}'
    response = client.post("/admin/products", headers={**admin, **JSON}, content=body)
    assert response.status_code == 422 and code(response) == "invalid_input"
    assert response.json()["error"]["details"] == {"field": "attributes", "max_depth": 32}
    assert client.get(f"/admin/products/{new}", headers=admin).status_code == 404
    existing = stocked()
    patch = f'{{"attributes":{{"w":{deep}}}}}'
    url = f"/admin/products/{existing}"
    response = client.patch(url, headers={**admin, **JSON}, content=patch)
    assert response.status_code == 422 and code(response) == "invalid_input"
    assert client.get(f"/products/{existing}").json()["attributes"] == {}
    assert client.get("/products?size=100").status_code == 200
    fine = {"attributes": {"size": {"eu": [38, 39]}, "w": [[[[[[[[[[[]]]]]]]]]]]}}
    assert client.patch(url, headers=admin, json=fine).status_code == 200
