"""The payment provider port. The platform only ever holds a token, brand, last four and
expiry — never a card number or CVV."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Protocol

METHODS = ("card", "upi", "wallet")
CAPTURED, DECLINED = "captured", "declined"


class PaymentOutcomeUnknown(Exception):
    """The provider did not answer in time: the charge may or may not have happened."""


@dataclasses.dataclass(frozen=True)
class ChargeResult:
    status: str  # captured | declined
    provider_ref: str | None
    code: str | None = None  # why it was declined: card_declined, insufficient_funds, ...
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


@dataclasses.dataclass(frozen=True)
class RefundResult:
    status: str  # refunded | failed
    provider_ref: str | None


class PaymentProvider(Protocol):
    """Every call carries an idempotency key; a repeated key returns the first outcome."""

    name: str

    def charge(
        self, *, amount: Decimal, currency: str, method: str, source: str, idempotency_key: str
    ) -> ChargeResult:
        """Charge ``source`` (a card token, UPI id or wallet id). Raises
        PaymentOutcomeUnknown on a time-out."""
        ...

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        """The outcome of an earlier charge with this key, or None if it never arrived."""
        ...

    def refund(
        self, *, provider_ref: str, amount: Decimal, idempotency_key: str
    ) -> RefundResult: ...
