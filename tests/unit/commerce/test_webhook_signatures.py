"""The one webhook signature verifier (Stripe's ``t=...,v1=...`` scheme)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.adapters.webhook_signatures import DEFAULT_TOLERANCE, sign, verify
from commerce.domain.errors import InvalidToken, StaleSignature

SECRET, BODY = b"s3cret-for-the-carrier", b'{"tracking_number":"T1","status":"delivered"}'
SENT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T = int(SENT.timestamp())


def test_a_fresh_signature_is_accepted_and_returns_its_timestamp() -> None:
    assert verify(SECRET, sign(SECRET, BODY, T), BODY, now=SENT) == T


@pytest.mark.parametrize("offset", [-DEFAULT_TOLERANCE, DEFAULT_TOLERANCE])
def test_the_tolerance_bounds_are_inclusive(offset: timedelta) -> None:
    assert verify(SECRET, sign(SECRET, BODY, T), BODY, now=SENT - offset) == T


@pytest.mark.parametrize("offset", [timedelta(minutes=5, seconds=1), timedelta(days=365)])
def test_a_replayed_or_future_dated_signature_is_stale(offset: timedelta) -> None:
    header = sign(SECRET, BODY, T)
    for now in (SENT + offset, SENT - offset):
        with pytest.raises(StaleSignature) as stale:
            verify(SECRET, header, BODY, now=now)
        assert stale.value.code == "stale_signature"
        assert stale.value.details == {"tolerance_seconds": 300}


def test_the_tolerance_can_be_narrowed() -> None:
    with pytest.raises(StaleSignature):
        verify(SECRET, sign(SECRET, BODY, T), BODY, now=SENT + timedelta(seconds=11),
               tolerance=timedelta(seconds=10))  # fmt: skip


def test_a_rotated_secret_is_accepted_from_any_v1_entry() -> None:
    old, new = sign(b"the-old-secret-value", BODY, T), sign(SECRET, BODY, T)
    both = f"{old},v1={new.split('v1=')[1]}"
    assert verify(SECRET, both, BODY, now=SENT) == T


@pytest.mark.parametrize(
    "header",
    [
        None, "", "t=,v1=", "v1=" + "0" * 64, f"t={T}", f"t={T},v0=abc", f"t=-{T},v1=00",
        f"t={T},t={T},v1=00", "t=" + "9" * 40 + ",v1=00", f"t={T},v1=\u00e9\u00e9",
    ],
)  # fmt: skip
def test_a_malformed_header_is_an_invalid_token_not_a_crash(header: str | None) -> None:
    with pytest.raises(InvalidToken) as refused:
        verify(SECRET, header, BODY, now=SENT)
    assert type(refused.value) is InvalidToken


def test_the_signature_covers_the_timestamp_the_body_and_the_secret() -> None:
    header = sign(SECRET, BODY, T)
    forged = [
        (header.replace(f"t={T}", f"t={T + 1}"), BODY, SECRET),
        (header, BODY + b" ", SECRET),
        (header, BODY, b"another-secret-entirely"),
    ]
    for candidate, body, secret in forged:
        with pytest.raises(InvalidToken) as refused:
            verify(secret, candidate, body, now=SENT)
        assert type(refused.value) is InvalidToken  # a bad digest never reveals the clock


def test_a_stale_and_wrong_signature_says_only_that_it_is_wrong() -> None:
    with pytest.raises(InvalidToken) as refused:
        verify(b"another-secret-entirely", sign(SECRET, BODY, T), BODY,
               now=SENT + timedelta(days=1))  # fmt: skip
    assert type(refused.value) is InvalidToken
