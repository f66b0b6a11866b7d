"""The rules of erasing an account (``DELETE /users/me``): which orders still need their
customer, and what of a kept order is personal.

An account is erased, not deleted: its row stays under its pseudonymous id so the orders
that accounting must keep still point somewhere, but nothing left on it names a person.
"""

from __future__ import annotations

from commerce.domain.orders import CANCELLED, DELIVERED, PAYMENT_FAILED, REFUNDED
from commerce.domain.users import User

#: Order states in which nothing more is owed either way. ``delivered`` counts: a return is
#: asked for from the account, so erasing it gives that up; ``shipped`` does not (the parcel
#: is on its way to an address erasure would forget, and may come back).
FINAL_ORDER_STATES = frozenset({DELIVERED, CANCELLED, PAYMENT_FAILED, REFUNDED})
#: Payment states in which no money moves any more. ``captured`` is settled only for a
#: delivered order: on a cancelled or refunded one it is money still owed back.
SETTLED_PAYMENT_STATES = frozenset({"failed", "refunded", "cancelled"})
#: An erased order's shipping address: name, street, city and postcode all go. The country
#: the tax was charged for is the order's own ``country`` column, which stays (the shop's
#: taxes depend on nothing finer); so do amounts, lines, dates, carrier and tracking number.
ERASED_ADDRESS = {"erased": True}
ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: never resolves, so never delivered


def blocks_erasure(order_status: str, payment_status: str | None) -> bool:
    """Whether an order still needs its customer (so the account cannot be erased yet):
    it is not final, or its payment is unsettled (pending, unknown, held, a refund owed)."""
    if order_status not in FINAL_ORDER_STATES:
        return True
    if payment_status is None:
        return False
    if payment_status == "captured":
        return order_status != DELIVERED
    return payment_status not in SETTLED_PAYMENT_STATES


def erased_email(user_id: str) -> str:
    """The placeholder that replaces an erased account's email: unique per account (so the
    column's unique constraint holds), derived from nothing personal, and not deliverable —
    registration refuses its reserved domain, so no one can sign up as it."""
    return f"erased-{user_id}@{ERASED_EMAIL_DOMAIN}"


def is_erased(user: User) -> bool:
    """Whether the account was erased (not merely disabled: its email is the placeholder)."""
    return not user.is_active and user.email == erased_email(user.id)
