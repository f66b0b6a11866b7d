"""The rules of erasing an account, without I/O: which orders refuse it, what replaces the
email, and what the event and the error carry."""

from __future__ import annotations

import json

import pytest

from commerce.domain.erasure import FINAL_ORDER_STATES, blocks_erasure, erased_email
from commerce.domain.errors import AccountHasOpenOrders, InvalidInput
from commerce.domain.events import AccountDeleted
from commerce.domain.orders import STATUSES
from commerce.domain.users import normalize_email
from serving.errors import STATUS_BY_CODE


def test_only_delivered_cancelled_failed_and_refunded_orders_are_final() -> None:
    assert {"delivered", "cancelled", "payment_failed", "refunded"} == FINAL_ORDER_STATES
    for status in STATUSES - FINAL_ORDER_STATES:  # awaiting payment, held, being fulfilled,
        assert blocks_erasure(status, None), status  # shipped, a return under way
        assert blocks_erasure(status, "captured"), status


@pytest.mark.parametrize(
    ("status", "payment", "blocks"),
    [
        ("delivered", "captured", False),  # paid for and received: nothing owed
        ("delivered", None, False),  # a dataset's historical order has no payment row
        ("cancelled", None, False),  # cancelled before it was paid
        ("cancelled", "cancelled", False),  # a held payment, never charged
        ("cancelled", "refunded", False),
        ("payment_failed", "failed", False),
        ("refunded", "refunded", False),
        ("cancelled", "captured", True),  # money taken for an order never delivered
        ("cancelled", "refund_pending", True),  # money owed back
        ("refunded", "refund_failed", True),  # the provider refused: someone must act
        ("payment_failed", "unknown", True),  # a charge may yet arrive
        ("payment_failed", "pending", True),
        ("cancelled", "held", True),
    ],
)
def test_a_final_order_blocks_only_while_its_money_is_unsettled(
    status: str, payment: str | None, blocks: bool
) -> None:
    assert blocks_erasure(status, payment) is blocks


def test_the_placeholder_email_is_unique_and_cannot_be_registered() -> None:
    first, second = erased_email("a" * 32), erased_email("b" * 32)
    assert first != second and "@" in first and len(first) <= 320
    with pytest.raises(InvalidInput):  # reserved domain: registration refuses it
        normalize_email(first)


def test_the_event_carries_the_pseudonymous_id_only() -> None:
    envelope = AccountDeleted(user_id="u1", request_id="r1").envelope()
    assert envelope["type"] == "AccountDeleted" and envelope["user_id"] == "u1"
    assert envelope["payload"] == {} and envelope["product_id"] is None
    json.dumps(envelope)  # JSON-ready, as the outbox stores it


def test_open_orders_answer_409_with_a_stable_code_and_their_ids() -> None:
    error = AccountHasOpenOrders(["o1", "o2"])
    assert (error.code, error.details) == ("account_has_open_orders", {"order_ids": ["o1", "o2"]})
    assert STATUS_BY_CODE[error.code] == 409
