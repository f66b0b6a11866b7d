"""The order state machine and order privacy over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import certifi
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters import webhook_signatures
from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider
from commerce.domain.events import utcnow
from commerce.service_layer.payment import RECONCILE_AFTER, reconcile_cancelled
from commerce.service_layer.refunds import REFUND_RETRY_AFTER, retry_refunds
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

Code = Callable[[Any], str]
Headers = dict[str, str]
Customer = Callable[[], Headers]
Stocked = Callable[..., str]
SECRET = b"carrier-test-secret"  # the e2e container's carrier_webhook_secret
ADDRESS = {"name": "A", "line1": "1 Road", "city": "Leeds", "postcode": "LS1"}


def _checkout(client: TestClient, me: Headers, sku: str, token: str, qty: int = 1) -> Any:
    """Put ``qty`` of ``sku`` in the cart and check out with ``token``, under a new key and to
    a new address (so the address velocity rule never trips)."""
    added = client.post("/cart/items", headers=me, json={"sku": sku, "quantity": qty})
    assert added.status_code == 200
    body = {
        "country": "GB",
        "shipping_address": {**ADDRESS, "line1": f"{uuid.uuid4().hex[:6]} Road"},
        "payment": {"method": "card", "token": token},
    }
    return client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex}, json=body)


def _paid_order(client: TestClient, me: Headers, sku: str, token: str, qty: int = 1) -> str:
    response = _checkout(client, me, sku, token, qty)
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
    base, tracking = f"/admin/orders/{order_id}", f"T1-{uuid.uuid4().hex[:8]}"
    early = client.post(
        f"{base}/ship", headers=admin, json={"carrier": "DHL", "tracking_number": tracking}
    )
    assert early.status_code == 409 and code(early) == "illegal_transition"
    assert client.post(f"{base}/pack", headers=admin).json()["status"] == "packed"
    shipped = client.post(
        f"{base}/ship", headers=admin, json={"carrier": "DHL", "tracking_number": tracking}
    )
    assert shipped.json()["status"] == "shipped" and shipped.json()["tracking_number"] == tracking
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
    held = _checkout(client, me, sku, token)
    assert held.status_code == 202 and held.json()["status"] == "on_hold"
    order_id = held.json()["id"]
    assert not [c for c in sandbox.ledger()["charges"] if c["idempotency_key"] == f"pay-{order_id}"]
    assert _available(client, admin, sku) == 14  # its stock stays reserved during review
    approved = client.post(f"/admin/orders/{order_id}/approve", headers=admin).json()
    assert approved["status"] == "paid" and approved["payment_status"] == "captured"


def _shipped_order(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str],
) -> tuple[Headers, str, bytes]:  # fmt: skip
    """A shipped order: its owner's headers, its id and the carrier's "delivered" body."""
    me, sku = customer(), stocked()
    order_id = _paid_order(client, me, sku, card("4242424242424242"))
    tracking = f"TRK{uuid.uuid4().hex[:8]}"
    client.post(f"/admin/orders/{order_id}/pack", headers=admin)
    client.post(f"/admin/orders/{order_id}/ship", headers=admin,
                json={"carrier": "DHL", "tracking_number": tracking})  # fmt: skip
    return me, order_id, json.dumps({"tracking_number": tracking, "status": "delivered"}).encode()


def test_carrier_webhook_needs_a_valid_signature(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    me, order_id, raw = _shipped_order(client, admin, customer, stocked, card)
    now = int(time.time())
    good = webhook_signatures.sign(SECRET, raw, now)
    wrong = webhook_signatures.sign(b"wrong", raw, now)
    bare = hmac.new(SECRET, raw, hashlib.sha256).hexdigest()  # the old, unstamped scheme
    moved = good.replace(f"t={now}", f"t={now + 1}")  # the timestamp is inside the digest
    for bad in (None, "0" * 64, bare, wrong, moved, f"t={now}", b"\xe9" * 64, b"\xff\xfe"):
        headers = {"X-Carrier-Signature": bad} if bad else {}  # non-ASCII was a 500
        refused = client.post("/webhooks/carrier", content=raw, headers=headers)
        assert refused.status_code == 401 and code(refused) == "invalid_token"
    assert client.get(f"/orders/{order_id}", headers=me).json()["status"] == "shipped"
    accepted = client.post("/webhooks/carrier", content=raw, headers={"X-Carrier-Signature": good})
    assert accepted.status_code == 200 and accepted.json()["status"] == "delivered"


def test_carrier_webhook_refuses_a_replayed_or_future_dated_request(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    """A captured request, correctly signed, used to be accepted forever."""
    me, order_id, raw = _shipped_order(client, admin, customer, stocked, card)
    now = int(time.time())
    for sent in (now - 6 * 60, now + 6 * 60):  # the tolerance is 5 minutes either way
        headers = {"X-Carrier-Signature": webhook_signatures.sign(SECRET, raw, sent)}
        refused = client.post("/webhooks/carrier", content=raw, headers=headers)
        assert refused.status_code == 401 and code(refused) == "stale_signature"
    assert client.get(f"/orders/{order_id}", headers=me).json()["status"] == "shipped"
    fresh = {"X-Carrier-Signature": webhook_signatures.sign(SECRET, raw, now - 60)}
    accepted = client.post("/webhooks/carrier", content=raw, headers=fresh)
    assert accepted.status_code == 200 and accepted.json()["status"] == "delivered"


def test_repeated_delivered_notices_arriving_together_all_succeed_and_deliver_once(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str],
) -> None:  # fmt: skip
    """Carriers retry until they get a 2xx: a notice for an order already delivered (or being
    delivered by a notice that arrived a moment earlier) is a success, not a 409 to retry."""
    me, order_id, raw = _shipped_order(client, admin, customer, stocked, card)
    headers = {"X-Carrier-Signature": webhook_signatures.sign(SECRET, raw, int(time.time()))}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.post("/webhooks/carrier", content=raw,
                                                      headers=headers), range(6)))  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert {a.json()["status"] for a in answers} == {"delivered"}
    history = client.get(f"/orders/{order_id}", headers=me).json()
    assert history["status"] == "delivered"


def _silent_provider() -> SandboxPaymentProvider:
    """A provider nobody answers for (nothing listens on port 9): every call is an unknown
    outcome, as in an outage."""
    return SandboxPaymentProvider("https://127.0.0.1:9", Path(certifi.where()), timeout_s=0.5)


def _refunds(sandbox: SandboxPaymentProvider, order_id: str) -> int:
    keys = [r["idempotency_key"] for r in sandbox.ledger()["refunds"]]
    return keys.count(f"refund-{order_id}")


def test_a_refund_the_provider_leaves_unanswered_is_owed_and_retried_once(
    client: TestClient, container: Any, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    """The order is cancelled (or refunded) and its stock restocked whatever the provider
    does; the money is owed (``refund_pending``) until the worker's retry gets an answer."""
    me, sku = customer(), stocked(stock=2)
    cancelled_id = _paid_order(client, me, sku, card("4242424242424242"))
    returned_id = _paid_order(client, me, sku, card("4242424242424242"))
    for action in ("pack", "ship", "deliver"):
        body = {"carrier": "DHL", "tracking_number": uuid.uuid4().hex} if action == "ship" else None
        assert client.post(f"/admin/orders/{returned_id}/{action}", headers=admin,
                           json=body).is_success  # fmt: skip
    assert client.post(f"/orders/{returned_id}/return", headers=me).is_success
    assert client.post(f"/admin/orders/{returned_id}/receive-return", headers=admin).is_success

    container.extras["payment_provider"] = _silent_provider()
    cancelled = client.post(f"/orders/{cancelled_id}/cancel", headers=me)
    refunded = client.post(f"/admin/orders/{returned_id}/refund", headers=admin)
    container.extras["payment_provider"] = sandbox

    assert cancelled.status_code == 200 and refunded.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and refunded.json()["status"] == "refunded"
    for order_id in (cancelled_id, returned_id):
        assert client.get(f"/orders/{order_id}", headers=me).json()["payment_status"] == (
            "refund_pending"
        )
        assert _refunds(sandbox, order_id) == 0
    assert _available(client, admin, sku) == 2  # both restocked
    assert client.post(f"/orders/{cancelled_id}/cancel", headers=me).status_code == 409

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    retry_refunds(uow, sandbox)  # a pass now: ours are not due yet
    for order_id in (cancelled_id, returned_id):
        assert client.get(f"/orders/{order_id}", headers=me).json()["payment_status"] == (
            "refund_pending"
        )  # not yet due: the retry waits REFUND_RETRY_AFTER
    nothing_owed = client.post(f"/admin/orders/{returned_id}/retry-refund", headers=admin)
    assert nothing_owed.status_code == 200  # pending: an admin may ask now instead of waiting
    assert nothing_owed.json()["payment_status"] == "refunded"
    assert _refunds(sandbox, returned_id) == 1
    again = client.post(f"/admin/orders/{returned_id}/retry-refund", headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    later = utcnow() + REFUND_RETRY_AFTER
    assert retry_refunds(uow, sandbox, now=later, limit=10_000) >= 1
    assert retry_refunds(uow, sandbox, now=later, limit=10_000) == 0  # settled: not retried
    for order_id in (cancelled_id, returned_id):
        assert client.get(f"/orders/{order_id}", headers=me).json()["payment_status"] == "refunded"
        assert _refunds(sandbox, order_id) == 1
    listed = {o["id"]: o for o in client.get("/orders", headers=me).json()["items"]}
    assert listed[cancelled_id]["payment_status"] == "refunded"


def test_reconcile_while_the_provider_is_silent_is_503_and_changes_nothing(
    client: TestClient, container: Any, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    me, sku = customer(), stocked(stock=2)
    container.extras["payment_provider"] = _silent_provider()
    placed = _checkout(client, me, sku, card("4242424242424242"))
    assert placed.status_code == 202 and placed.json()["payment_status"] == "unknown"
    order_id = placed.json()["id"]
    response = client.post(f"/orders/{order_id}/reconcile", headers=me)
    assert response.status_code == 503 and code(response) == "payments_unavailable"
    after = client.get(f"/orders/{order_id}", headers=me).json()
    assert after["status"] == "pending_payment" and after["payment_status"] == "unknown"


def test_one_tracking_number_ships_one_order(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], code: Code,
) -> None:  # fmt: skip
    """The carrier's webhook finds the order by its tracking number alone."""
    me, sku = customer(), stocked(stock=2)
    first, second = (_paid_order(client, me, sku, card("4242424242424242")) for _ in range(2))
    tracking = f"DUP-{uuid.uuid4().hex[:8]}"
    for order_id in (first, second):
        assert client.post(f"/admin/orders/{order_id}/pack", headers=admin).is_success
    body = {"carrier": "DHL", "tracking_number": tracking}
    assert client.post(f"/admin/orders/{first}/ship", headers=admin, json=body).is_success
    again = client.post(f"/admin/orders/{second}/ship", headers=admin, json=body)
    assert again.status_code == 409 and code(again) == "tracking_number_in_use"
    assert client.get(f"/orders/{second}", headers=me).json()["status"] == "packed"
    body["tracking_number"] = f"OWN-{uuid.uuid4().hex[:8]}"
    assert client.post(f"/admin/orders/{second}/ship", headers=admin, json=body).is_success


def test_cancelling_a_held_order_cancels_its_uncharged_payment(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
) -> None:  # fmt: skip
    me, sku, token = customer(), stocked(stock=10), card("4242424242424242")
    for _ in range(5):  # the sixth order within an hour is held by the velocity rule
        _paid_order(client, me, sku, token)
    held = _checkout(client, me, sku, token)
    assert held.json()["status"] == "on_hold" and held.json()["payment_status"] == "held"
    order_id = held.json()["id"]
    cancelled = client.post(f"/admin/orders/{order_id}/cancel", headers=admin).json()
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "cancelled"
    assert _available(client, admin, sku) == 5  # the held unit is released
    keys = [c["idempotency_key"] for c in sandbox.ledger()["charges"]]
    assert f"pay-{order_id}" not in keys
    assert client.post(f"/admin/orders/{order_id}/approve", headers=admin).status_code == 409


def test_a_payment_left_unknown_by_a_cancel_is_settled_by_the_worker(
    client: TestClient, container: Any, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    """Cancelled while the charge's outcome was unknown, the order's reservation is released
    and nothing else would ever look at it: money that arrived must still go back."""
    me, sku = customer(), stocked(stock=4)
    slow_card = card("4000000000000119")  # the sandbox charges it, then answers too late

    def checkout() -> str:
        placed = _checkout(client, me, sku, slow_card)
        assert placed.status_code == 202 and placed.json()["payment_status"] == "unknown"
        return str(placed.json()["id"])

    charged = checkout()  # the charge reached the provider
    container.extras["payment_provider"] = _silent_provider()
    never = checkout()  # the charge never left
    container.extras["payment_provider"] = sandbox
    for order_id in (charged, never):
        cancelled = client.post(f"/orders/{order_id}/cancel", headers=me).json()
        assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "unknown"

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    reconcile_cancelled(uow, sandbox)  # now: not due (a charge might still be in flight)
    assert client.get(f"/orders/{charged}", headers=me).json()["payment_status"] == "unknown"
    assert reconcile_cancelled(uow, sandbox, now=utcnow() + RECONCILE_AFTER, limit=10_000) >= 2
    assert client.get(f"/orders/{charged}", headers=me).json()["payment_status"] == "refunded"
    assert _refunds(sandbox, charged) == 1
    assert client.get(f"/orders/{never}", headers=me).json()["payment_status"] == "failed"
    assert _refunds(sandbox, never) == 0
    for order_id in (charged, never):
        assert client.get(f"/orders/{order_id}", headers=me).json()["status"] == "cancelled"


def test_a_refused_refund_is_refund_failed_until_an_admin_retries_it(
    client: TestClient, admin: Headers, customer: Customer, stocked: Stocked,
    card: Callable[[str], str], sandbox: SandboxPaymentProvider,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    """It used to be marked refunded whatever the provider said."""
    me, sku = customer(), stocked(stock=1)
    order_id = _paid_order(client, me, sku, card("4242424242424242"))
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        row = uow.payments.for_order(order_id)
        assert row is not None
        real_ref = row.provider_ref
        uow.payments.transition(order_id, ["captured"], provider_ref="ch_no_such_charge")
        uow.commit()
    cancelled = client.post(f"/orders/{order_id}/cancel", headers=me).json()
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "refund_failed"
    assert _refunds(sandbox, order_id) == 0
    with SqlAlchemyUnitOfWork(session_factory) as uow:  # a person sorts out the cause
        uow.payments.transition(order_id, ["refund_failed"], provider_ref=real_ref)
        uow.commit()
    retried = client.post(f"/admin/orders/{order_id}/retry-refund", headers=admin)
    assert retried.status_code == 200 and retried.json()["payment_status"] == "refunded"
    assert _refunds(sandbox, order_id) == 1
