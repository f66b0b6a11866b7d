"""Refunds and returns hit at once over HTTP: money goes back once and stock comes back once,
however many admins (and the customer) press the button together. On PostgreSQL the
requests really overlap (READ COMMITTED); on SQLite they queue."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider

Headers = dict[str, str]
ADDRESS = {"name": "R", "line1": "1 Lane", "city": "Hull", "postcode": "HU1"}
TIMES = 8


def _paid(client: TestClient, me: Headers, sku: str, token: str, qty: int) -> str:
    assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": qty}).is_success
    body = {"country": "GB", "payment": {"method": "card", "token": token},
            "shipping_address": {**ADDRESS, "line1": f"{uuid.uuid4().hex[:6]} Lane"}}  # fmt: skip
    placed = client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex},
                         json=body)  # fmt: skip
    assert placed.status_code == 201, placed.text
    return str(placed.json()["id"])


def _at_once(client: TestClient, calls: list[tuple[str, Headers]]) -> Counter[int]:
    with ThreadPoolExecutor(len(calls)) as pool:
        done = pool.map(lambda c: client.post(c[0], headers=c[1]), calls)
        return Counter(r.status_code for r in done)


def _money(sandbox: SandboxPaymentProvider, order_id: str) -> list[str]:
    return [r["amount"] for r in sandbox.ledger()["refunds"]
            if r["idempotency_key"] == f"refund-{order_id}"]  # fmt: skip


def _available(client: TestClient, admin: Headers, sku: str) -> int:
    return int(client.get(f"/admin/inventory/{sku}", headers=admin).json()["available"])


def test_a_paid_order_cancelled_many_times_at_once_is_refunded_and_restocked_once(
    client: TestClient, admin: Headers, customer: Any, stocked: Any, card: Any,
    sandbox: SandboxPaymentProvider,
) -> None:  # fmt: skip
    me, sku = customer(), stocked(stock=5)
    order_id = _paid(client, me, sku, card("4242424242424242"), qty=3)
    calls = [(f"/orders/{order_id}/cancel", me), (f"/admin/orders/{order_id}/cancel", admin)]
    assert _at_once(client, calls * (TIMES // 2)) == {200: 1, 409: TIMES - 1}
    total = client.get(f"/orders/{order_id}", headers=me).json()
    assert (total["status"], total["payment_status"]) == ("cancelled", "refunded")
    assert _money(sandbox, order_id) == [total["total"]]
    assert _available(client, admin, sku) == 5


def test_a_return_received_and_refunded_many_times_at_once_counts_once(
    client: TestClient, admin: Headers, customer: Any, stocked: Any, card: Any,
    sandbox: SandboxPaymentProvider,
) -> None:  # fmt: skip
    me, sku = customer(), stocked(stock=5)
    order_id = _paid(client, me, sku, card("4242424242424242"), qty=2)
    base = f"/admin/orders/{order_id}"
    for action in ("pack", "ship", "deliver"):
        body = {"carrier": "DHL", "tracking_number": uuid.uuid4().hex} if action == "ship" else None
        assert client.post(f"{base}/{action}", headers=admin, json=body).is_success
    assert _at_once(client, [(f"/orders/{order_id}/return", me)] * TIMES)[200] == 1
    assert _at_once(client, [(f"{base}/receive-return", admin)] * TIMES) == {
        200: 1, 409: TIMES - 1,
    }  # fmt: skip
    assert _available(client, admin, sku) == 5  # the two units came back once, not 2 x 8
    refunds = _at_once(client, [(f"{base}/refund", admin), (f"{base}/retry-refund", admin)]
                       * (TIMES // 2))  # fmt: skip
    assert refunds[200] >= 1 and set(refunds) <= {200, 409}
    order = client.get(f"/orders/{order_id}", headers=me).json()
    assert (order["status"], order["payment_status"]) == ("refunded", "refunded")
    assert _money(sandbox, order_id) == [order["total"]]


def test_unpaid_and_cancelled_orders_give_no_money_back(
    client: TestClient, admin: Headers, customer: Any, stocked: Any, card: Any,
    sandbox: SandboxPaymentProvider, code: Callable[[Any], str],
) -> None:  # fmt: skip
    me, sku = customer(), stocked(stock=5)
    assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 1}).is_success
    body = {"country": "GB", "payment": {"method": "card", "token": card("4000000000000002")},
            "shipping_address": ADDRESS}  # fmt: skip
    declined = client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex},
                           json=body)  # fmt: skip
    assert declined.status_code == 402
    cancelled = _paid(client, me, sku, card("4242424242424242"), qty=1)
    assert client.post(f"/orders/{cancelled}/cancel", headers=me).is_success
    for order_id in (declined.json()["id"], cancelled):
        for action in ("refund", "retry-refund", "receive-return", "cancel"):
            refused = client.post(f"/admin/orders/{order_id}/{action}", headers=admin)
            assert refused.status_code == 409, (action, refused.text)
            assert code(refused) == "illegal_transition"
    assert _money(sandbox, declined.json()["id"]) == []
    assert len(_money(sandbox, cancelled)) == 1
    assert _available(client, admin, sku) == 5
