"""Signed webhooks, in Stripe's scheme: the sender puts ``t=<unix seconds>,v1=<hex digest>``
in the signature header, the digest being HMAC-SHA256 of ``"<t>.<raw body>"`` under the
shared secret.

The timestamp is part of the signed message, so it cannot be changed without the secret, and
a request older than the tolerance is refused: a captured request can no longer be replayed
forever. One dated too far ahead is refused too, or a sender's signing oracle (or a badly set
clock) could stockpile messages that become valid later. Several ``v1`` entries are accepted
so a secret can be rotated without dropping webhooks signed with the old one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from commerce.domain.errors import InvalidToken, StaleSignature
from commerce.domain.events import utcnow

DEFAULT_TOLERANCE = timedelta(minutes=5)
SCHEME = "v1"
_MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658; more is not a timestamp


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (default: now)."""
    t = int(utcnow().timestamp()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={_digest(secret, t, body)}"


def _parse(header: str | None) -> tuple[int, list[str]]:
    # A header may carry any Latin-1 text; compare_digest takes only ASCII strings.
    if not header or not header.isascii():
        raise InvalidToken("bad webhook signature")
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t"]
    digests = [value for key, _, value in fields if key == SCHEME and value]
    if len(stamps) != 1 or not digests or not stamps[0].isdigit():
        raise InvalidToken("bad webhook signature")
    if len(stamps[0]) > _MAX_TIMESTAMP_DIGITS:
        raise InvalidToken("bad webhook signature")
    return int(stamps[0]), digests


def verify(
    secret: bytes, header: str | None, body: bytes, *, now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> int:  # fmt: skip
    """Check a webhook's signature header against its raw body; returns the signed timestamp.

    Raises
    ------
    InvalidToken
        The header is missing or malformed, or no signature in it matches.
    StaleSignature
        The signature matches but its timestamp is further than ``tolerance`` from ``now``
        (checked after the digest, so only the holder of the secret learns about clocks).
    """
    timestamp, digests = _parse(header)
    good = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(good, digest) for digest in digests):
        raise InvalidToken("bad webhook signature")
    skew = (now or utcnow()).timestamp() - timestamp
    if abs(skew) > tolerance.total_seconds():
        raise StaleSignature("webhook timestamp outside the tolerance",
                             {"tolerance_seconds": int(tolerance.total_seconds())})  # fmt: skip
    return timestamp
