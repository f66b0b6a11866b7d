"""The order state machine and order privacy over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider

Code = Callable[[Any], str]
Headers = dict[str, str]
Customer = Callable[[], Headers]
Stocked = Callable[..., str]
ADDRESS = {"name": "A", "line1": "1 Road", "city": "Leeds", "postcode": "LS1"}


def _paid_order(client: TestClient, me: Headers, sku: str, token: str, qty: int = 1) -> str:
    assert (
        client.post("/cart/items", headers=me, json={"sku": sku, "quantity": qty}).status_code
        == 200
    )
    body = {
        "country": "GB",
        "shipping_address": {**ADDRESS, "line1": f"{uuid.uuid4().hex[:6]} Road"},
        "payment": {"method": "card", "token": token},
    }
    response = client.post(
        "/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex}, json=body
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _available(client: TestClient, admin: Headers, sku: str) -> int:
    return int(client.get(f"/admin/inventory/{sku}", headers=admin).json()["available"])


def test_fulfilment_return_and_refund(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider, code: Code,
) -> None:  # fmt: skip
    me, sku = customer(), stocked(stock=4)
    order_id = _paid_order(client, me, sku, card("4242424242424242"), qty=2)
    base = f"/admin/orders/{order_id}"
    early = client.post(
        f"{base}/ship", headers=admin, json={"carrier": "DHL", "tracking_number": "T1"}
    )
    assert early.status_code == 409 and code(early) == "illegal_transition"
    assert client.post(f"{base}/pack", headers=admin).json()["status"] == "packed"
    shipped = client.post(
        f"{base}/ship", headers=admin, json={"carrier": "DHL", "tracking_number": "T1"}
    )
    assert shipped.json()["status"] == "shipped" and shipped.json()["tracking_number"] == "T1"
    late = client.post(f"/orders/{order_id}/cancel", headers=me)
    assert late.status_code == 409 and code(late) == "illegal_transition"
    assert client.post(f"{base}/deliver", headers=admin).json()["status"] == "delivered"
    assert (
        client.post(f"/orders/{order_id}/return", headers=me).json()["status"] == "return_requested"
    )
    assert _available(client, admin, sku) == 2
    assert (
        client.post(f"{base}/receive-return", headers=admin).json()["status"] == "return_received"
    )
    assert _available(client, admin, sku) == 4  # restocked
    refunded = client.post(f"{base}/refund", headers=me)
    assert refunded.status_code == 403  # customers cannot refund themselves
    assert client.post(f"{base}/refund", headers=admin).json()["status"] == "refunded"
    assert client.get(f"/orders/{order_id}", headers=me).json()["payment_status"] == "refunded"
    refunds = sandbox.ledger()["refunds"]
    assert sum(1 for r in refunds if r["idempotency_key"] == f"refund-{order_id}") == 1


def test_cancel_paid_order_refunds_and_restocks(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str],
) -> None:  # fmt: skip
    me, sku = customer(), stocked(stock=3)
    order_id = _paid_order(client, me, sku, card("4242424242424242"), qty=3)
    assert _available(client, admin, sku) == 0
    cancelled = client.post(f"/orders/{order_id}/cancel", headers=me).json()
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "refunded"
    assert _available(client, admin, sku) == 3
    again = client.post(f"/orders/{order_id}/cancel", headers=me)
    assert again.status_code == 409


def test_users_only_see_their_own_orders(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    alice, bob, sku = customer(), customer(), stocked()
    order_id = _paid_order(client, alice, sku, card("4242424242424242"))
    for method, path in (
        ("GET", ""),
        ("POST", "/cancel"),
        ("POST", "/return"),
        ("POST", "/reconcile"),
    ):
        response = client.request(method, f"/orders/{order_id}{path}", headers=bob)
        assert response.status_code == 404 and code(response) == "order_not_found", path
    assert client.get("/orders", headers=bob).json()["total"] == 0
    assert [o["id"] for o in client.get("/orders", headers=alice).json()["items"]] == [order_id]
    assert client.get(f"/orders/{order_id}", headers=alice).json()["status"] == "paid"
    listed = client.get("/admin/orders?size=100", headers=admin).json()
    assert order_id in {o["id"] for o in listed["items"]}
    assert client.get("/admin/orders", headers=bob).status_code == 403
    assert client.get("/orders/does-not-exist", headers=alice).status_code == 404


def test_fraud_velocity_holds_the_order_until_approved(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
) -> None:  # fmt: skip
    me, sku, token = customer(), stocked(stock=20), card("4242424242424242")
    for _ in range(5):  # the sixth order within an hour trips the per-user velocity rule
        _paid_order(client, me, sku, token)
    client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 1})
    body = {"country": "GB", "shipping_address": ADDRESS,
            "payment": {"method": "card", "token": token}}  # fmt: skip
    held = client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex}, json=body)
    assert held.status_code == 202 and held.json()["status"] == "on_hold"
    order_id = held.json()["id"]
    assert not [c for c in sandbox.ledger()["charges"] if c["idempotency_key"] == f"pay-{order_id}"]
    assert _available(client, admin, sku) == 14  # its stock stays reserved during review
    approved = client.post(f"/admin/orders/{order_id}/approve", headers=admin).json()
    assert approved["status"] == "paid" and approved["payment_status"] == "captured"


def test_carrier_webhook_needs_a_valid_signature(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    import hashlib
    import hmac
    import json

    me, sku = customer(), stocked()
    order_id = _paid_order(client, me, sku, card("4242424242424242"))
    tracking = f"TRK{uuid.uuid4().hex[:8]}"
    client.post(f"/admin/orders/{order_id}/pack", headers=admin)
    client.post(f"/admin/orders/{order_id}/ship", headers=admin,
                json={"carrier": "DHL", "tracking_number": tracking})  # fmt: skip
    raw = json.dumps({"tracking_number": tracking, "status": "delivered"}).encode()
    good = hmac.new(b"carrier-test-secret", raw, hashlib.sha256).hexdigest()
    for bad in (None, "0" * 64, hmac.new(b"wrong", raw, hashlib.sha256).hexdigest()):
        headers = {"X-Carrier-Signature": bad} if bad else {}
        refused = client.post("/webhooks/carrier", content=raw, headers=headers)
        assert refused.status_code == 401 and code(refused) == "invalid_token"
    assert client.get(f"/orders/{order_id}", headers=me).json()["status"] == "shipped"
    accepted = client.post("/webhooks/carrier", content=raw, headers={"X-Carrier-Signature": good})
    assert accepted.status_code == 200 and accepted.json()["status"] == "delivered"
