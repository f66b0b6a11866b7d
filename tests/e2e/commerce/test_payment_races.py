"""Money is never kept for an order that is not delivered, whatever happens between the
provider's answer and ours: crashes, cancels and reconciles while a charge is in flight.

The real payments sandbox charges and refunds; a thin wrapper only decides *when* the
platform's other calls happen around a charge (the provider itself is never replaced)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest
from commerce_support import placed_order
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider
from commerce.domain.events import utcnow
from commerce.domain.payments import PaymentOutcomeUnknown
from commerce.service_layer import orders, payment, refunds
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
ADDRESS = {"name": "N", "line1": "1", "city": "C", "postcode": "P"}


class Crash(Exception):
    """The process dies here."""


class Around:
    """The sandbox, with ``before_charge`` run just before each charge request is sent."""

    def __init__(self, real: SandboxPaymentProvider, before_charge: Callable[[], None]) -> None:
        self.real, self.before_charge, self.name = real, before_charge, real.name

    def charge(self, **kwargs: Any) -> Any:
        self.before_charge()
        return self.real.charge(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def uow(session_factory: sessionmaker[Session]) -> UowFactory:
    return lambda: SqlAlchemyUnitOfWork(session_factory)


def _place(uow: UowFactory) -> str:
    """An order for 3 x 3.00 GBP, placed and awaiting payment."""
    return placed_order(uow, "RACE", timedelta(minutes=15))[1]


@pytest.fixture
def pending_order(uow: UowFactory) -> str:
    return _place(uow)


def _state(uow: UowFactory, order_id: str) -> tuple[str, str, str | None]:
    with uow() as u:
        order, row = u.orders.get(order_id), u.payments.for_order(order_id)
    assert order is not None and row is not None
    return order.status, str(row.status), row.failure_code


def _ledger(sandbox: SandboxPaymentProvider, order_id: str) -> tuple[int, int]:
    """(charges captured, refunds) the provider holds for the order."""
    ledger = sandbox.ledger()
    charges = [c for c in ledger["charges"] if c["idempotency_key"] == f"pay-{order_id}"]
    ids = {c["id"] for c in charges if c["status"] == "captured"}
    return len(ids), sum(r["charge_id"] in ids for r in ledger["refunds"])


def test_money_arriving_for_a_cancelled_order_is_owed_back_even_if_we_crash_at_once(
    uow: UowFactory, pending_order: str, sandbox: SandboxPaymentProvider, card: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The customer cancelled while the charge was in flight and the process died right
    after recording the capture: the payment stayed ``captured`` on a cancelled order, and no
    worker pass or admin action could ever give the money back."""
    order_id = pending_order
    cancel = lambda: orders.cancel(uow, sandbox, order_id, None)  # noqa: E731
    provider = Around(sandbox, cancel)

    def die(*_: Any, **__: Any) -> str:
        raise Crash

    monkeypatch.setattr(payment, "_refund_orphan", die)  # the first step after the commit
    with pytest.raises(Crash):
        payment.pay_order(uow, provider, order_id, "card", card("4242424242424242"))  # type: ignore[arg-type]
    monkeypatch.undo()
    assert _state(uow, order_id) == ("cancelled", "refund_pending", "paid_after_cancel")
    assert _ledger(sandbox, order_id) == (1, 0)

    later = utcnow() + refunds.REFUND_RETRY_AFTER
    assert refunds.retry_refunds(uow, sandbox, now=later, limit=10_000) >= 1
    assert _state(uow, order_id)[:2] == ("cancelled", "refunded")
    assert _ledger(sandbox, order_id) == (1, 1)


def test_a_reconcile_while_the_charge_is_in_flight_decides_nothing(
    uow: UowFactory, pending_order: str, sandbox: SandboxPaymentProvider, card: Any
) -> None:
    """It called the charge "not received", failed the order and released its stock; the money
    that then arrived was kept with no refund."""
    order_id, asked = pending_order, []
    provider = Around(sandbox, lambda: asked.append(payment.reconcile(uow, sandbox, order_id)))
    _, status = payment.pay_order(uow, provider, order_id, "card", card("4242424242424242"))  # type: ignore[arg-type]
    assert asked == ["pending"] and status == "captured"
    assert _state(uow, order_id)[:2] == ("paid", "captured")
    assert _ledger(sandbox, order_id) == (1, 0)


def test_money_arriving_after_a_reconcile_gave_up_on_it_is_refunded(
    uow: UowFactory, pending_order: str, sandbox: SandboxPaymentProvider, card: Any
) -> None:
    """A charge slower than the reconcile's patience: the order fails (its stock goes back)
    and the late money is refunded, never kept."""
    order_id = pending_order
    much_later = utcnow() + payment.RECONCILE_AFTER + timedelta(seconds=1)
    provider = Around(sandbox, lambda: payment.reconcile(uow, sandbox, order_id, much_later))
    _, status = payment.pay_order(uow, provider, order_id, "card", card("4242424242424242"))  # type: ignore[arg-type]
    assert status == "refunded"
    assert _state(uow, order_id)[:2] == ("payment_failed", "refunded")
    assert _ledger(sandbox, order_id) == (1, 1)


def test_a_payment_retried_after_the_order_was_cancelled_charges_nothing(
    uow: UowFactory, pending_order: str, sandbox: SandboxPaymentProvider, card: Any
) -> None:
    """The first attempt died before its charge was sent; the customer cancelled; the retry
    (an idempotent replay, or the same key after a stale claim) charged and then refunded."""
    order_id, token = pending_order, card("4242424242424242")

    def die() -> None:
        raise Crash

    with pytest.raises(Crash):
        payment.pay_order(uow, Around(sandbox, die), order_id, "card", token)  # type: ignore[arg-type]
    orders.cancel(uow, sandbox, order_id, None)
    _, status = payment.pay_order(uow, sandbox, order_id, "card", token)
    assert status == "pending"  # the payment's own status: open, for the worker to settle
    assert _ledger(sandbox, order_id) == (0, 0)
    assert _state(uow, order_id)[:2] == ("cancelled", "pending")  # the worker asks later
    later = utcnow() + payment.RECONCILE_AFTER
    assert payment.reconcile_cancelled(uow, sandbox, now=later, limit=10_000) >= 1
    assert _state(uow, order_id)[:2] == ("cancelled", "failed")


def _answering(status: int) -> SandboxPaymentProvider:
    """The real client, its transport answering every request with ``status``."""
    provider = SandboxPaymentProvider.__new__(SandboxPaymentProvider)
    provider.base_url = "https://psp.invalid"
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json={}))
    provider._client = httpx.Client(base_url=provider.base_url, transport=transport)
    return provider


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_provider_server_error_is_an_unknown_outcome_never_a_refusal(status: int) -> None:
    """A 5xx on a refund was recorded as refused (refund_failed: a person had to step in); on
    a charge, as a final failure while the provider may have charged."""
    provider = _answering(status)
    with pytest.raises(PaymentOutcomeUnknown):
        provider.refund(provider_ref="ch_1", amount=Decimal("1"), idempotency_key="r")
    with pytest.raises(PaymentOutcomeUnknown):
        provider.charge(amount=Decimal("1"), currency="GBP", method="card", source="t",
                        idempotency_key="k")  # fmt: skip
    with pytest.raises(PaymentOutcomeUnknown):
        provider.find_charge("k")


def test_the_sandbox_ledger_refuses_money_operations_no_provider_would_accept(
    sandbox: SandboxPaymentProvider, card: Any
) -> None:
    """It refunded 30.00 of a 10.00 charge under three keys, captured "0.004" as 0.00, died on
    "1e30" (the client saw a dropped connection: an unknown outcome) and answered a reused key
    with the old charge whatever the new amount."""
    post = sandbox._client.post
    key, token = uuid.uuid4().hex, card("4242424242424242")
    body = {"amount": "10.00", "currency": "GBP", "method": "card", "source": token}
    charge = post("/v1/charges", json=body | {"idempotency_key": key}).json()
    assert charge["status"] == "captured"
    assert post("/v1/charges", json=body | {"idempotency_key": key}).status_code == 200
    for changed in ({"amount": "11.00"}, {"currency": "EUR"}):
        reused = post("/v1/charges", json=body | changed | {"idempotency_key": key})
        assert reused.status_code == 409
        assert reused.json()["error"]["code"] == "idempotency_key_reused"
    for amount, currency in (("0.004", "GBP"), ("1e30", "GBP"), ("NaN", "GBP"), ("1", "")):
        bad = post("/v1/charges", json=body | {"amount": amount, "currency": currency,
                                               "idempotency_key": uuid.uuid4().hex})  # fmt: skip
        assert bad.status_code == 422, (amount, currency, bad.text)
    refund = {"charge_id": charge["id"], "amount": "6.00"}
    assert post("/v1/refunds", json=refund | {"idempotency_key": "r1"}).status_code == 201
    assert post("/v1/refunds", json=refund | {"idempotency_key": "r1"}).status_code == 201
    over = post("/v1/refunds", json=refund | {"idempotency_key": "r2"})
    assert over.status_code == 422 and over.json()["error"]["code"] == "amount_exceeds_charge"
    rest = refund | {"amount": "4.00", "idempotency_key": "r3"}
    assert post("/v1/refunds", json=rest).status_code == 201
    reused = post("/v1/refunds", json=rest | {"amount": "1.00"})
    assert reused.status_code == 409
    refunds = [r for r in sandbox.ledger()["refunds"] if r["charge_id"] == charge["id"]]
    assert sorted(Decimal(r["amount"]) for r in refunds) == [Decimal("4.00"), Decimal("6.00")]


def test_a_checkout_whose_order_is_cancelled_while_paying_is_409_and_refunded(
    client: Any, container: Any, customer: Any, stocked: Any, card: Any,
    sandbox: SandboxPaymentProvider, uow: UowFactory,
) -> None:  # fmt: skip
    """It answered 201 Created with a cancelled order."""

    class CancelsWhileCharging(Around):
        def charge(self, **kwargs: Any) -> Any:
            orders.cancel(uow, sandbox, kwargs["idempotency_key"].removeprefix("pay-"), None)
            return self.real.charge(**kwargs)

    me, sku = customer(), stocked(stock=2)
    container.extras["payment_provider"] = CancelsWhileCharging(sandbox, lambda: None)
    assert client.post("/cart/items", headers=me, json={"sku": sku, "quantity": 1}).is_success
    body = {"country": "GB", "shipping_address": ADDRESS,
            "payment": {"method": "card", "token": card("4242424242424242")}}  # fmt: skip
    placed = client.post("/checkout", headers={**me, "Idempotency-Key": uuid.uuid4().hex},
                         json=body)  # fmt: skip
    assert placed.status_code == 409, placed.text
    error = placed.json()["error"]
    assert error["code"] == "order_cancelled"
    assert error["details"]["payment_status"] == "refunded"
    assert _ledger(sandbox, error["details"]["order_id"]) == (1, 1)


def test_a_silent_provider_is_asked_once_per_pass_not_once_per_refund(
    uow: UowFactory, sandbox: SandboxPaymentProvider, card: Any
) -> None:
    """Each owed refund cost a time-out in the same pass (100 x 2 s), while the worker's
    reservation expiry waited behind it."""
    silent = SandboxPaymentProvider("https://127.0.0.1:9", Path(certifi.where()), timeout_s=0.5)
    for _ in range(2):
        order_id = _place(uow)
        assert payment.pay_order(uow, sandbox, order_id, "card", card("4242424242424242"))[1] == (
            "captured"
        )
        orders.cancel(uow, silent, order_id, None)
        assert _state(uow, order_id)[1] == "refund_pending"
    later = utcnow() + refunds.REFUND_RETRY_AFTER
    assert refunds.retry_refunds(uow, silent, now=later, limit=10_000) == 1
    later = utcnow() + refunds.REFUND_RETRY_AFTER  # the one asked restarted its clock
    assert refunds.retry_refunds(uow, sandbox, now=later, limit=10_000) >= 2


def test_a_late_payments_refund_keeps_its_reason_through_a_refusal_and_a_retry(
    uow: UowFactory, pending_order: str, sandbox: SandboxPaymentProvider, card: Any,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    """The refusal overwrote the reason, and the retry's OrderRefunded said "cancelled"."""
    from sqlalchemy import select

    from commerce.adapters.orm import outbox
    from commerce.domain.payments import RefundResult

    order_id = pending_order

    class RefusesRefunds(Around):
        def refund(self, **_: Any) -> RefundResult:
            return RefundResult(status="failed", provider_ref=None)

    provider = RefusesRefunds(sandbox, lambda: orders.cancel(uow, sandbox, order_id, None))
    _, status = payment.pay_order(uow, provider, order_id, "card", card("4242424242424242"))  # type: ignore[arg-type]
    assert status == "refund_failed"
    assert _state(uow, order_id) == ("cancelled", "refund_failed", "paid_after_cancel")
    assert refunds.retry_refund(uow, sandbox, order_id) == "refunded"
    with session_factory() as s:
        events = [e for e in s.execute(select(outbox.c.event)).scalars()
                  if e["payload"].get("order_id") == order_id]  # fmt: skip
    assert [e["payload"]["reason"] for e in events if e["type"] == "OrderRefunded"] == [
        "paid_after_cancel"
    ]


def test_cancelling_an_order_drops_the_source_of_its_held_payment(
    uow: UowFactory, pending_order: str, sandbox: SandboxPaymentProvider
) -> None:
    with uow() as u:
        u.payments.add({"id": pending_order, "order_id": pending_order, "provider": "sandbox",
                        "method": "card", "idempotency_key": f"pay-{pending_order}",
                        "status": "held", "amount": Decimal("9.00"), "currency": "GBP",
                        "token": "tok_x"})  # fmt: skip
        u.commit()
    orders.cancel(uow, sandbox, pending_order, None)
    with uow() as u:
        row = u.payments.for_order(pending_order)
    assert row is not None and (row.status, row.token) == ("cancelled", None)
