"""The sandbox's card rules and documented test numbers (any future expiry, any 3-digit CVC).

======================  ==========================================================
4242 4242 4242 4242     succeeds (Visa)
5555 5555 5555 4444     succeeds (Mastercard)
4000 0000 0000 0002     declined: ``card_declined``
4000 0000 0000 9995     declined: ``insufficient_funds``
4000 0000 0000 0119     answers after SLOW_SECONDS (a client time-out), then succeeds
======================  ==========================================================

UPI ids: ``success@upi`` succeeds, ``fail@upi`` is declined. Wallets: ``wallet_ok``
succeeds, ``wallet_declined`` is declined. Any other Luhn-valid card succeeds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
SLOW = "4000000000000119"
SLOW_SECONDS = 3.0
_UPI = re.compile(r"^[a-z0-9.\-_]{2,64}@[a-z]{2,32}$")


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"}:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def card_problem(number: str, exp_month: object, exp_year: object, cvc: str) -> str | None:
    """Why the card cannot be tokenised, or None. Never includes the number itself."""
    if not luhn_valid(number):
        return "invalid_number"
    if type(exp_month) is not int or type(exp_year) is not int or not 1 <= exp_month <= 12:
        return "invalid_expiry"
    now = datetime.now(UTC)
    if (exp_year, exp_month) < (now.year, now.month):
        return "expired_card"
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        return "invalid_cvc"
    return None


def card_outcome(number: str) -> tuple[str, str | None]:
    if number == DECLINE:
        return "declined", "card_declined"
    if number == INSUFFICIENT_FUNDS:
        return "declined", "insufficient_funds"
    return "captured", None


def other_outcome(method: str, source: str) -> tuple[str, str | None]:
    if method == "upi":
        if not _UPI.match(source):
            return "declined", "invalid_upi_id"
        return ("declined", "upi_declined") if source == "fail@upi" else ("captured", None)
    if method == "wallet":
        return (
            ("declined", "wallet_declined") if source == "wallet_declined" else ("captured", None)
        )
    return "declined", "unsupported_method"
