"""Commerce errors. Each carries a stable ``code``; only serving maps codes to HTTP status."""

from __future__ import annotations

from typing import Any, ClassVar


class CommerceError(Exception):
    """Base of every commerce error: a stable ``code``, a message and JSON-safe details."""

    code: ClassVar[str] = "commerce_error"

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details: dict[str, Any] = details or {}


class InvalidInput(CommerceError):
    code = "invalid_input"


class NotFound(CommerceError):
    code = "not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class CartNotFound(NotFound):
    code = "cart_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class DuplicateSku(CommerceError):
    code = "sku_exists"


class EmailTaken(CommerceError):
    code = "email_taken"


class VersionConflict(CommerceError):
    """Someone else changed the row since it was read (optimistic locking)."""

    code = "version_conflict"


class ProductUnavailable(CommerceError):
    code = "product_unavailable"


class InsufficientStock(CommerceError):
    code = "insufficient_stock"

    def __init__(self, items: dict[str, int]) -> None:
        # items: sku -> quantity still available
        super().__init__("not enough stock", {"available": items})
        self.items = items


class IllegalTransition(CommerceError):
    code = "illegal_transition"

    def __init__(self, entity: str, current: str, action: str) -> None:
        super().__init__(
            f"cannot {action} a {entity} that is {current}",
            {"entity": entity, "current": current, "action": action},
        )


class IdempotencyConflict(CommerceError):
    """The same Idempotency-Key was used with a different request body."""

    code = "idempotency_conflict"


class IdempotencyKeyRequired(CommerceError):
    code = "idempotency_key_required"


class IdempotencyInProgress(CommerceError):
    code = "idempotency_in_progress"


class AuthenticationFailed(CommerceError):
    code = "invalid_credentials"


class PasswordUnchanged(InvalidInput):
    """A password change whose new password is the current one."""

    code = "password_unchanged"


class InvalidToken(CommerceError):
    code = "invalid_token"


class StaleSignature(InvalidToken):
    """A correctly signed webhook whose signed timestamp is outside the tolerance: a replay
    of a captured request, or a sender whose clock is wrong."""

    code = "stale_signature"


class PermissionDenied(CommerceError):
    code = "forbidden"


class RateLimited(CommerceError):
    code = "rate_limited"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("too many attempts", {"retry_after_seconds": retry_after_seconds})


class EmptyCart(CommerceError):
    code = "empty_cart"


class PaymentDeclined(CommerceError):
    code = "payment_declined"


class PaymentFailed(CommerceError):
    code = "payment_failed"


class PaymentsUnavailable(CommerceError):
    code = "payments_unavailable"


class MailUnavailable(CommerceError):
    """The mail engine did not take a message (server down, refused, directory unwritable)."""

    code = "mail_unavailable"


class InvalidResetToken(CommerceError):
    """A password-reset token that is unknown, expired, already used or replaced: one code
    for all, so the answer says nothing about which."""

    code = "invalid_reset_token"


class DuplicateReview(CommerceError):
    code = "review_exists"


class TrackingNumberInUse(CommerceError):
    """Another order already ships under this tracking number (the carrier's webhook finds
    orders by it)."""

    code = "tracking_number_in_use"


class AccountHasOpenOrders(CommerceError):
    """The account cannot be erased yet: some of its orders still need their customer (not
    final, or money still moving). ``details.order_ids`` names them."""

    code = "account_has_open_orders"

    def __init__(self, order_ids: list[str]) -> None:
        super().__init__(
            "the account has orders that are not finished; erase it once they are",
            {"order_ids": order_ids},
        )


class AccountBusy(CommerceError):
    """The account's rows stayed locked by another change (a checkout, a password change)
    past the erasure's lock wait: nothing was erased, and asking again is safe."""

    code = "account_busy"

    def __init__(self) -> None:
        super().__init__("the account is being changed; try again")
