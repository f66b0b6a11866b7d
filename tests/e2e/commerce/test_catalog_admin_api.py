"""Catalog administration and the public catalog over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Code = Callable[[Any], str]


def _body(sku: str, **kw: Any) -> dict[str, Any]:
    body = {
        "sku": sku,
        "name": "Mug",
        "price": "4.25",
        "currency": "GBP",
        "category_path": "home/kitchen",
        "attributes": {"colour": "red"},
        "image_urls": ["https://img.example/m.jpg"],
    }
    body.update(kw)
    return body


def test_create_update_archive_flow(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str]
) -> None:
    s = sku()
    created = client.post("/admin/products", headers=admin, json=_body(s))
    assert created.status_code == 201 and created.json()["version"] == 1
    public = client.get(f"/products/{s}")
    assert public.status_code == 200 and public.json()["price"] in ("4.25", 4.25)
    patched = client.patch(
        f"/admin/products/{s}", headers=admin, json={"price": "5.10", "version": 1}
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(f"/admin/products/{s}", headers=admin, json={"name": "B", "version": 1})
    assert stale.status_code == 409
    assert client.post(f"/admin/products/{s}/archive", headers=admin).status_code == 200
    assert client.get(f"/products/{s}").status_code == 404
    assert client.post(f"/admin/products/{s}/archive", headers=admin).status_code == 409


def test_hostile_text_is_stored_exactly(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str]
) -> None:
    s = sku()
    name = "'; DROP TABLE orders; -- O'Brien"
    assert (
        client.post(
            "/admin/products", headers=admin, json=_body(s, name=name, brand="O'Brien")
        ).status_code
        == 201
    )
    got = client.get(f"/products/{s}").json()
    assert got["name"] == name and got["brand"] == "O'Brien"


def test_bad_input_is_4xx_and_changes_nothing(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str], code: Code
) -> None:
    s = sku()
    bad = [
        _body(s, price="-1"),
        _body(s, price="abc"),
        _body(s, price="1.001"),
        _body(s, price="\u0661\u0662\u0663"),  # Arabic-Indic digits used to read as 123.00
        _body(s, currency="pounds"),
        _body(s, name=""),
        _body(s, unknown_field=1),
        _body(s, image_urls=["javascript:alert(1)"]),
    ]
    for body in bad:
        response = client.post("/admin/products", headers=admin, json=body)
        assert 400 <= response.status_code < 500, body
        code(response)
    malformed = client.post(
        "/admin/products",
        headers={**admin, "Content-Type": "application/json"},
        content=b'{"sku": ',
    )
    assert malformed.status_code == 422
    assert client.get(f"/admin/products/{s}", headers=admin).status_code == 404
    zero = client.post("/admin/products", headers=admin, json=_body(s, price="-0.00"))
    assert zero.status_code == 201 and zero.json()["price"] == "0.00"  # not "-0.00"
    for version in (2**31, 2**63):  # past the column: used to be a 500
        stale = client.patch(f"/admin/products/{s}", headers=admin,
                             json={"name": "x", "version": version})  # fmt: skip
        assert stale.status_code == 422, version


def test_duplicate_sku_is_409(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str], code: Code
) -> None:
    s = sku()
    assert client.post("/admin/products", headers=admin, json=_body(s)).status_code == 201
    again = client.post("/admin/products", headers=admin, json=_body(s))
    assert again.status_code == 409 and code(again) == "sku_exists"


def test_unknown_sku_is_404(client: TestClient, admin: dict[str, str], code: Code) -> None:
    response = client.patch("/admin/products/NOPE-404", headers=admin, json={"name": "x"})
    assert response.status_code == 404 and code(response) == "product_not_found"
