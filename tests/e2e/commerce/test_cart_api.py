"""The cart over HTTP: quantities, stock, totals, anonymous carts and isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Code = Callable[[Any], str]
Headers = dict[str, str]


def test_add_update_remove_with_totals(
    client: TestClient, customer: Callable[[], Headers], stocked: Callable[..., str]
) -> None:
    me, a, b = customer(), stocked("4.25"), stocked("0.10")
    client.post("/cart/items", headers=me, json={"sku": a, "quantity": 2})
    client.post("/cart/items", headers=me, json={"sku": a, "quantity": 1})
    cart = client.post("/cart/items", headers=me, json={"sku": b, "quantity": 3}).json()
    assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [(a, 3), (b, 3)]
    assert cart["subtotal"] == "13.05" and cart["item_count"] == 6
    cart = client.put(f"/cart/items/{a}", headers=me, json={"quantity": 1}).json()
    assert cart["subtotal"] == "4.55"
    cart = client.delete(f"/cart/items/{b}", headers=me).json()
    assert [line["sku"] for line in cart["lines"]] == [a]
    assert client.get("/cart", headers=me).json()["subtotal"] == "4.25"


def test_bad_quantities_are_422_and_the_cart_unchanged(
    client: TestClient, customer: Callable[[], Headers], stocked: Callable[..., str], code: Code
) -> None:
    me, a = customer(), stocked()
    for quantity in (0, -1, 100, 10**12, 1.5, "2", True, None):
        response = client.post("/cart/items", headers=me, json={"sku": a, "quantity": quantity})
        assert response.status_code == 422, quantity
        assert code(response) == "validation_error"
    assert client.get("/cart", headers=me).json()["lines"] == []


def test_stock_and_product_state_are_checked(
    client: TestClient,
    admin: Headers,
    customer: Callable[[], Headers],
    stocked: Callable[..., str],
    code: Code,
) -> None:
    me, a = customer(), stocked(stock=2)
    too_many = client.post("/cart/items", headers=me, json={"sku": a, "quantity": 3})
    assert too_many.status_code == 409 and code(too_many) == "insufficient_stock"
    assert client.post("/cart/items", headers=me, json={"sku": a, "quantity": 2}).status_code == 200
    assert client.put(f"/cart/items/{a}", headers=me, json={"quantity": 3}).status_code == 409
    kept = stocked("3.00")
    assert client.post("/cart/items", headers=me, json={"sku": kept, "quantity": 1}).is_success
    client.post(f"/admin/products/{a}/archive", headers=admin)
    gone = client.post("/cart/items", headers=me, json={"sku": a, "quantity": 1})
    assert gone.status_code == 409 and code(gone) == "product_unavailable"
    cart = client.get("/cart", headers=me).json()
    # the archived line is still shown, marked, and no longer priced into the subtotal
    assert {line["sku"]: line["active"] for line in cart["lines"]} == {a: False, kept: True}
    assert cart["subtotal"] == "3.00"
    unknown = client.post("/cart/items", headers=me, json={"sku": "NO-SUCH", "quantity": 1})
    assert unknown.status_code == 404 and code(unknown) == "product_not_found"


def test_anonymous_cart_merges_at_login(
    client: TestClient, stocked: Callable[..., str], password: str
) -> None:
    a, b = stocked(), stocked()
    token = client.post("/cart/anonymous").json()["cart_token"]
    anon = {"X-Cart-Token": token}
    client.post("/cart/items", headers=anon, json={"sku": a, "quantity": 2})
    email = "merge-" + token[:8].lower().replace("-", "x").replace("_", "y") + "@example.com"
    client.post("/auth/register", json={"email": email, "password": password})
    login = client.post("/auth/login", headers=anon, json={"email": email, "password": password})
    me = {"Authorization": f"Bearer {login.json()['access_token']}"}
    client.post("/cart/items", headers=me, json={"sku": b, "quantity": 1})
    lines = {
        line["sku"]: line["quantity"] for line in client.get("/cart", headers=me).json()["lines"]
    }
    assert lines == {a: 2, b: 1}
    assert client.get("/cart", headers=anon).status_code == 404  # the anonymous cart is gone


def test_users_never_see_each_others_carts(
    client: TestClient, customer: Callable[[], Headers], stocked: Callable[..., str], code: Code
) -> None:
    alice, bob, a = customer(), customer(), stocked()
    client.post("/cart/items", headers=alice, json={"sku": a, "quantity": 2})
    assert client.get("/cart", headers=bob).json()["lines"] == []
    assert client.delete(f"/cart/items/{a}", headers=bob).status_code == 404
    assert client.get("/cart", headers=alice).json()["lines"][0]["quantity"] == 2
    nobody = client.get("/cart", headers={"X-Cart-Token": "guessed-token"})
    assert nobody.status_code == 404 and code(nobody) == "cart_not_found"


def test_oversize_and_malformed_bodies_are_refused(
    client: TestClient, customer: Callable[[], Headers], stocked: Callable[..., str], code: Code
) -> None:
    me, a = customer(), stocked()
    huge = b'{"sku": "' + b"x" * (2 << 20) + b'", "quantity": 1}'
    response = client.post("/cart/items", headers={**me, "Content-Type": "application/json"},
                           content=huge)  # fmt: skip
    assert response.status_code == 413 and code(response) == "payload_too_large"
    broken = client.post("/cart/items", headers={**me, "Content-Type": "application/json"},
                         content=b'{"sku": "' + a.encode() + b'", "quantity": ')  # fmt: skip
    assert broken.status_code == 422 and code(broken) == "validation_error"
    wrong = client.post("/cart/items", headers=me, json=[{"sku": a, "quantity": 1}])
    assert wrong.status_code == 422
    assert client.get("/cart", headers=me).json()["lines"] == []
