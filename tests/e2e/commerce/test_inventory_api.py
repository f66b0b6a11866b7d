"""Inventory administration over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Code = Callable[[Any], str]


def _product(client: TestClient, admin: dict[str, str], sku: str) -> None:
    body = {"sku": sku, "name": "Lamp", "price": "10.00", "currency": "GBP"}
    assert client.post("/admin/products", headers=admin, json=body).status_code == 201


def test_receive_adjust_threshold_and_low_stock(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str]
) -> None:
    s = sku()
    _product(client, admin, s)
    assert (
        client.post(f"/admin/inventory/{s}/receive", headers=admin, json={"quantity": 10}).json()[
            "available"
        ]
        == 10
    )
    level = client.post(
        f"/admin/inventory/{s}/adjust", headers=admin, json={"delta": -4, "reason": "damaged"}
    ).json()
    assert (level["on_hand"], level["available"]) == (6, 6)
    client.put(f"/admin/inventory/{s}/threshold", headers=admin, json={"threshold": 6})
    low = client.get("/admin/inventory/low-stock?size=100", headers=admin).json()["items"]
    assert s in {item["sku"] for item in low}


def test_bad_quantities_are_422_and_change_nothing(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str], code: Code
) -> None:
    s = sku()
    _product(client, admin, s)
    for quantity in (0, -1, 10**9, "5", 1.5, None):
        response = client.post(
            f"/admin/inventory/{s}/receive", headers=admin, json={"quantity": quantity}
        )
        assert response.status_code == 422, quantity
        assert code(response) == "validation_error"
    assert client.get(f"/admin/inventory/{s}", headers=admin).json()["available"] == 0
    too_far = client.post(
        f"/admin/inventory/{s}/adjust", headers=admin, json={"delta": -1, "reason": "x"}
    )
    assert too_far.status_code == 409 and code(too_far) == "insufficient_stock"


def test_inventory_admin_needs_admin(
    client: TestClient, customer: Callable[[], dict[str, str]], code: Code
) -> None:
    response = client.get("/admin/inventory/low-stock", headers=customer())
    assert response.status_code == 403 and code(response) == "forbidden"
    assert client.get("/admin/inventory/low-stock").status_code == 401


def test_unknown_sku_is_404(client: TestClient, admin: dict[str, str], code: Code) -> None:
    response = client.post("/admin/inventory/NOPE/receive", headers=admin, json={"quantity": 1})
    assert response.status_code == 404 and code(response) == "product_not_found"
