"""Fixed-window attempt counters kept in the cache engine, so every API worker shares them."""

from __future__ import annotations

import hashlib
import math
from typing import Protocol

from commerce.domain.errors import RateLimited


class Counter(Protocol):
    def incr_ttl(self, key: str, ttl_s: float | None = None) -> tuple[int, float | None]: ...


def retry_after(remaining_s: float | None, window_s: int) -> int:
    """Whole seconds until a refusing counter expires (at least 1; the whole window when
    the engine reports no expiry), as ``Retry-After`` wants them."""
    if remaining_s is None:
        return window_s
    return max(1, math.ceil(remaining_s))


def _refusal(counter: Counter, key: str, limit: int, window_s: int) -> int | None:
    """Count one hit on ``key``: None while within ``limit``, else the seconds to wait."""
    count, remaining_s = counter.incr_ttl(key, window_s)
    return retry_after(remaining_s, window_s) if count > limit else None


def _raise_if_refused(*waits: int | None) -> None:
    # Every counter refusing must have expired before a retry can pass: the longest wait.
    refused = [wait for wait in waits if wait is not None]
    if refused:
        raise RateLimited(max(refused))


class LoginRateLimiter:
    """Counts every login attempt per account and per client address, and every
    registration per client address.

    Attempts are counted before the password is checked, so parallel guesses cannot slip
    through between a check and an increment. ``email`` is the account's canonical email:
    each spelling of one address (case, Unicode forms of its domain) must hit one counter.
    Registrations are limited because each costs a password hash (memory and CPU) and
    answers whether an email has an account.
    """

    def __init__(
        self,
        counter: Counter,
        per_account: int = 10,
        per_address: int = 50,
        window_s: int = 900,
        registrations_per_address: int = 20,
        resets: tuple[int, int] = (5, 20),
    ) -> None:
        self.counter = counter
        self.per_account, self.per_address, self.window_s = per_account, per_address, window_s
        self.registrations_per_address = registrations_per_address
        self.resets_per_account, self.resets_per_address = resets

    def hit(self, email: str, address: str) -> None:
        account, by_address = f"login:acct:{_digest(email)}", f"login:addr:{_digest(address)}"
        _raise_if_refused(
            _refusal(self.counter, account, self.per_account, self.window_s),
            _refusal(self.counter, by_address, self.per_address, self.window_s),
        )

    def registration(self, address: str) -> None:
        """Count one registration from ``address``.

        Raises
        ------
        RateLimited
            Past ``registrations_per_address`` in the window.
        """
        key, limit = f"register:addr:{_digest(address)}", self.registrations_per_address
        _raise_if_refused(_refusal(self.counter, key, limit, self.window_s))

    def password_reset(self, email: str, address: str) -> None:
        """Count one password-reset request for ``email`` (canonical, as for ``hit``) from
        ``address``, whether or not the account exists (the answer must not tell).

        Counters of their own, not login's: resetting someone's password many times must not
        lock them out of logging in. Each request may send a mail, so the account's limit is
        low (``resets[0]``), the address's higher (``resets[1]``, a shared office NAT).

        Raises
        ------
        RateLimited
            Past either limit in the window.
        """
        account, by_address = f"reset:acct:{_digest(email)}", f"reset:addr:{_digest(address)}"
        _raise_if_refused(
            _refusal(self.counter, account, self.resets_per_account, self.window_s),
            _refusal(self.counter, by_address, self.resets_per_address, self.window_s),
        )


class ExportRateLimiter:
    """Counts data exports (``GET /users/me/export``) per account: each reads every order,
    payment and review of the account, so a client asking in a loop would cost the database
    far more than it costs the client.

    Parameters
    ----------
    counter
        The shared counters (the cache engine), as for :class:`LoginRateLimiter`.
    per_account
        Exports allowed per account in each window.
    window_s
        The window's length in seconds.
    """

    def __init__(self, counter: Counter, per_account: int = 5, window_s: int = 3600) -> None:
        self.counter, self.per_account, self.window_s = counter, per_account, window_s

    def hit(self, user_id: str) -> None:
        """Count one export of ``user_id``'s data (before it is read, as login counts).

        Raises
        ------
        RateLimited
            Past ``per_account`` in the window.
        """
        key = f"export:acct:{_digest(user_id)}"
        _raise_if_refused(_refusal(self.counter, key, self.per_account, self.window_s))


def _digest(value: str) -> str:
    # Keys never hold an email address in clear text.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
