"""The rules of a password change, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.adapters.security import JwtTokens
from commerce.domain.errors import InvalidInput, PasswordUnchanged
from commerce.domain.users import issued_before_password_change, validate_new_password

T0 = datetime(2026, 11, 27, 12, 0, 0, 700_000, tzinfo=UTC)


def test_new_password_follows_registration_rules_and_names_its_field() -> None:
    for bad in ("short", " " * 12, "x" * 129):
        with pytest.raises(InvalidInput) as caught:
            validate_new_password("correct horse battery", bad)
        assert caught.value.details == {"field": "new_password"}
        assert bad not in caught.value.message or not bad.strip()
    validate_new_password("correct horse battery", "another good passphrase")


def test_new_password_equal_to_the_current_one_is_refused() -> None:
    with pytest.raises(PasswordUnchanged) as caught:
        validate_new_password("correct horse battery", "correct horse battery")
    assert caught.value.code == "password_unchanged"


def test_tokens_issued_before_the_change_second_are_refused() -> None:
    assert issued_before_password_change(T0 - timedelta(seconds=1), T0)
    # iat has whole seconds: the fresh pair issued in the change's second stays valid
    assert not issued_before_password_change(T0.replace(microsecond=0), T0)
    assert not issued_before_password_change(T0 + timedelta(seconds=1), T0)
    assert not issued_before_password_change(T0 - timedelta(days=1), None)


def test_access_claims_carry_the_issue_time() -> None:
    tokens = JwtTokens("s" * 40, "emporium", "emporium-api")
    before = datetime.now(UTC).replace(microsecond=0)
    claims = tokens.verify(tokens.issue("u1", "customer"))
    assert claims.user_id == "u1" and before <= claims.issued_at <= datetime.now(UTC)
