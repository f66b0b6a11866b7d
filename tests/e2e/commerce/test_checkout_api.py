"""Checkout and payment over HTTP against the real HTTPS payments sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import outbox
from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider

Code = Callable[[Any], str]
Headers = dict[str, str]
Customer = Callable[[], Headers]
Stocked = Callable[..., str]
ADDRESS = {"name": "Seán O'Brien", "line1": "1 High St", "city": "York", "postcode": "YO1 7HH"}
OK, DECLINE, NO_FUNDS, SLOW = (
    "4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119",
)  # fmt: skip


def _body(token: str, **kw: Any) -> dict[str, Any]:
    address = {**ADDRESS, "line1": f"{uuid.uuid4().hex[:6]} High St"}  # one home per shopper
    return {"country": "GB", "shipping_address": address,
            "payment": {"method": "card", "token": token}, **kw}  # fmt: skip


def _key() -> Headers:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _fill(client: TestClient, me: Headers, sku: str, qty: int = 2) -> None:
    assert (
        client.post("/cart/items", headers=me, json={"sku": sku, "quantity": qty}).status_code
        == 200
    )


def _stock(client: TestClient, admin: Headers, sku: str) -> tuple[int, int]:
    level = client.get(f"/admin/inventory/{sku}", headers=admin).json()
    return level["available"], level["reserved"]


def test_checkout_pays_sells_stock_and_emits_events(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    me, sku = customer(), stocked("10.00", stock=5)
    _fill(client, me, sku, 2)
    response = client.post("/checkout", headers={**me, **_key()}, json=_body(card(OK)))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "paid" and order["payment_status"] == "captured"
    # 2 x 10.00, shipping 3.95 (1 kg band), VAT 20% of 23.95 = 4.79
    assert (order["subtotal"], order["shipping"], order["tax"], order["total"]) == (
        "20.00",
        "3.95",
        "4.79",
        "28.74",
    )
    assert _stock(client, admin, sku) == (3, 0)
    assert client.get("/cart", headers=me).json()["lines"] == []
    with session_factory() as s:
        rows = s.execute(select(outbox.c.event)).scalars().all()
    types = [e["type"] for e in rows if e["payload"].get("order_id") == order["id"]]
    assert {
        "CheckoutStarted",
        "OrderPlaced",
        "StockReserved",
        "PaymentCaptured",
        "StockSold",
    } <= set(types)


def test_declined_payment_releases_stock(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    for number, reason in ((DECLINE, "card_declined"), (NO_FUNDS, "insufficient_funds")):
        me, sku = customer(), stocked(stock=3)
        _fill(client, me, sku, 3)
        response = client.post("/checkout", headers={**me, **_key()}, json=_body(card(number)))
        assert response.status_code == 402
        assert response.json()["status"] == "payment_failed", reason
        assert _stock(client, admin, sku) == (3, 0)
        # The cart is as it was, so the shopper can pay with another card.
        lines = client.get("/cart", headers=me).json()["lines"]
        assert [(line["sku"], line["quantity"]) for line in lines] == [(sku, 3)]
        again = client.post("/checkout", headers={**me, **_key()}, json=_body(card(OK)))
        assert again.status_code == 201 and again.json()["status"] == "paid"
        assert _stock(client, admin, sku) == (0, 0)


def test_same_key_same_body_replays_different_body_conflicts(
    client: TestClient, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    me, sku, token = customer(), stocked(), card(OK)
    _fill(client, me, sku)
    headers, body = {**me, **_key()}, _body(token)
    first = client.post("/checkout", headers=headers, json=body)
    again = client.post("/checkout", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    other = client.post("/checkout", headers=headers, json={**body, "country": "DE"})
    assert other.status_code == 409 and code(other) == "idempotency_conflict"
    missing = client.post("/checkout", headers=me, json=body)
    assert missing.status_code == 400 and code(missing) == "idempotency_key_required"


def test_retry_storm_charges_exactly_once(
    client: TestClient, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
) -> None:  # fmt: skip
    me, sku, token = customer(), stocked(), card(OK)
    _fill(client, me, sku)
    headers, body = {**me, **_key()}, _body(token)  # the very same request, 20 times at once
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda _: client.post("/checkout", headers=headers,
                                                        json=body), range(20)))  # fmt: skip
    assert {r.status_code for r in responses} == {201}
    order_ids = {r.json()["id"] for r in responses}
    assert len(order_ids) == 1
    key = f"pay-{order_ids.pop()}"
    charges = [c for c in sandbox.ledger()["charges"] if c["idempotency_key"] == key]
    assert len(charges) == 1 and charges[0]["status"] == "captured"


def test_card_numbers_are_never_accepted_or_echoed(
    client: TestClient, customer: Customer, stocked: Stocked,
) -> None:  # fmt: skip
    me, sku = customer(), stocked()
    _fill(client, me, sku)
    body = _body("x", payment={"method": "card", "number": OK, "cvc": "987", "token": OK[:4]})
    response = client.post("/checkout", headers={**me, **_key()}, json=body)
    assert response.status_code == 422
    assert OK not in response.text and "987" not in response.text


def test_unknown_outcome_is_reconciled_without_a_second_charge(
    client: TestClient, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
) -> None:  # fmt: skip
    me, sku = customer(), stocked()
    _fill(client, me, sku)
    response = client.post("/checkout", headers={**me, **_key()}, json=_body(card(SLOW)))
    assert response.status_code == 202 and response.json()["payment_status"] == "unknown"
    order_id = response.json()["id"]
    settled = client.post(f"/orders/{order_id}/reconcile", headers=me).json()
    assert settled["status"] == "paid" and settled["payment_status"] == "captured"
    charges = [c for c in sandbox.ledger()["charges"] if c["idempotency_key"] == f"pay-{order_id}"]
    assert len(charges) == 1


def test_upi_and_wallet_methods(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked
) -> None:
    cases = (("upi", "success@upi", 201, "paid"), ("upi", "fail@upi", 402, "payment_failed"),
             ("wallet", "wallet_ok", 201, "paid"), ("wallet", "wallet_declined", 402,
                                                    "payment_failed"))  # fmt: skip
    for method, source, status, state in cases:
        me, sku = customer(), stocked(stock=1)
        _fill(client, me, sku, 1)
        body = {**_body("x"), "payment": {"method": method, "token": source}}
        response = client.post("/checkout", headers={**me, **_key()}, json=body)
        assert response.status_code == status, (method, source, response.text)
        assert response.json()["status"] == state
        assert _stock(client, admin, sku) == (0 if state == "paid" else 1, 0)


def test_a_key_whose_first_attempt_failed_still_refuses_a_different_body(
    client: TestClient, container: Any, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider, code: Code,
) -> None:  # fmt: skip
    """The database went away after the order was placed (503: try again). The failed
    attempt forgot its body, so a retry under the same key with another address and card was
    accepted: it was answered with the first attempt's order, shipping to the first address,
    charged to the second card."""

    class DatabaseGoneOnce:
        name, calls = sandbox.name, 0

        def charge(self, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 1:
                raise OperationalError("UPDATE payments", {}, ConnectionError("server closed"))
            return sandbox.charge(**kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(sandbox, name)

    me, sku = customer(), stocked()
    _fill(client, me, sku)
    headers, body = {**me, **_key()}, _body(card(OK))
    container.extras["payment_provider"] = DatabaseGoneOnce()
    failed = client.post("/checkout", headers=headers, json=body)
    assert failed.status_code == 503 and code(failed) == "database_unavailable"
    other = client.post("/checkout", headers=headers, json=_body(card(OK)))
    assert other.status_code == 409 and code(other) == "idempotency_conflict"
    retried = client.post("/checkout", headers=headers, json=body)
    assert retried.status_code == 201 and retried.json()["status"] == "paid"
    key = f"pay-{retried.json()['id']}"
    assert [c["source"] for c in sandbox.ledger()["charges"] if c["idempotency_key"] == key] == [
        body["payment"]["token"]
    ]
