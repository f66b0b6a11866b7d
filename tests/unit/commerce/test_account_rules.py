"""The rules of a password change and of the data export's document, without I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import pytest

from commerce.adapters.security import JwtTokens
from commerce.domain.cart import CartLine, CartView
from commerce.domain.errors import InvalidInput, InvalidToken, PasswordUnchanged
from commerce.domain.orders import Order, OrderLine
from commerce.domain.reviews import Review
from commerce.domain.users import (
    User,
    issued_before_password_change,
    password_stamp,
    validate_new_password,
)
from commerce.service_layer.account import AccountData, PaymentRecord, SessionRecord
from serving.schemas.account import AccountExport

T0 = datetime(2026, 11, 27, 12, 0, 0, 700_000, tzinfo=UTC)


def test_new_password_follows_registration_rules_and_names_its_field() -> None:
    invisible = ("\u200b" * 12, "\ufeff\u200d" * 6, "\x00" * 12, "abcdefghi\u200b", " \u200b" * 6)
    for bad in ("short", " " * 12, "x" * 129, *invisible):
        with pytest.raises(InvalidInput) as caught:
            validate_new_password("correct horse battery", bad)
        assert caught.value.details == {"field": "new_password"}
        assert bad not in caught.value.message or not bad.strip()
    validate_new_password("correct horse battery", "another good passphrase")


def test_new_password_equal_to_the_current_one_is_refused() -> None:
    with pytest.raises(PasswordUnchanged) as caught:
        validate_new_password("correct horse battery", "correct horse battery")
    assert caught.value.code == "password_unchanged"


def test_a_token_is_current_only_under_the_password_it_was_issued_under() -> None:
    """Tokens were judged by ``iat`` alone, in whole seconds: one issued earlier in the
    change's own second (a session that signed in a moment before) stayed valid."""
    same_second = T0.replace(microsecond=0)
    before = password_stamp(T0 - timedelta(microseconds=1))
    assert issued_before_password_change(same_second, T0, before)
    assert issued_before_password_change(same_second, T0, password_stamp(None))
    assert not issued_before_password_change(same_second, T0, password_stamp(T0))
    assert not issued_before_password_change(same_second, None, 0)
    assert password_stamp(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005


def test_tokens_without_a_password_version_are_judged_by_their_issue_second() -> None:
    assert issued_before_password_change(T0 - timedelta(seconds=1), T0)
    # iat has whole seconds: a token issued in the change's second passes this comparison
    assert not issued_before_password_change(T0.replace(microsecond=0), T0)
    assert not issued_before_password_change(T0 + timedelta(seconds=1), T0)
    assert not issued_before_password_change(T0 - timedelta(days=1), None)


def test_access_claims_carry_the_issue_time() -> None:
    tokens = JwtTokens("s" * 40, "emporium", "emporium-api")
    before = datetime.now(UTC).replace(microsecond=0)
    claims = tokens.verify(tokens.issue("u1", "customer"))
    assert claims.user_id == "u1" and before <= claims.issued_at <= datetime.now(UTC)
    assert claims.password_stamp is None
    assert tokens.verify(tokens.issue("u1", "customer", 1_000_005)).password_stamp == 1_000_005


@pytest.mark.parametrize("stamp", ["1000005", 1.5, True, [1]])
def test_a_malformed_password_version_is_an_invalid_token(stamp: object) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "u1", "role": "customer", "iss": "emporium", "aud": "emporium-api",
              "iat": now, "exp": now + timedelta(minutes=5), "pwv": stamp}  # fmt: skip
    with pytest.raises(InvalidToken):
        JwtTokens("s" * 40, "emporium", "emporium-api").verify(jwt.encode(claims, "s" * 40))


def _data(user: User) -> AccountData:
    line = OrderLine(7, "SKU-1", "Mug", Decimal("4.25"), 2, Decimal("8.50"))
    order = Order("o1", user.id, "GBP", [line], Decimal("8.50"), Decimal("1.70"),
                  Decimal("3.99"), Decimal("14.19"), "GB", {"name": "Ada", "city": "York"},
                  status="cancelled", placed_at=T0, updated_at=T0)  # fmt: skip
    payment = PaymentRecord("refunded", "card", Decimal("14.19"), Decimal("14.19"), "GBP",
                            "visa", "4242", None, T0, T0)  # fmt: skip
    review = Review(1, "SKU-1", user.id, 5, "Good", "Nice mug", True, T0, T0)
    cart = CartView(
        "c1", user.id, (CartLine(7, "SKU-1", "Mug", Decimal("4.25"), "GBP", 3, 9, True),)
    )
    return AccountData(user, [order], {"o1": payment}, [review], cart,
                       [SessionRecord(T0, T0 + timedelta(days=14))], T0)  # fmt: skip


def test_export_document_has_stable_names_strings_for_money_and_no_hash() -> None:
    user = User("u1", "ada@example.com", "$argon2id$v=19$secret-hash", country="GB",
                created_at=T0, password_changed_at=T0)  # fmt: skip
    doc = json.loads(AccountExport.of(_data(user)).model_dump_json())
    assert set(doc) == {"format_version", "exported_at", "profile", "orders", "reviews", "cart",
                        "sessions"}  # fmt: skip
    assert doc["profile"] == {"id": "u1", "email": "ada@example.com", "role": "customer",
                              "country": "GB", "created_at": "2026-11-27T12:00:00.700000Z",
                              "password_changed_at": "2026-11-27T12:00:00.700000Z"}  # fmt: skip
    order = doc["orders"][0]
    assert order["total"] == "14.19" and order["lines"][0]["unit_price"] == "4.25"
    assert order["payment_status"] == "refunded" and order["shipping_address"]["city"] == "York"
    assert (
        order["payment"]["refunded_amount"] == "14.19" and order["payment"]["card_last4"] == "4242"
    )
    assert doc["reviews"][0]["sku"] == "SKU-1" and "user_id" not in doc["reviews"][0]
    assert doc["cart"]["subtotal"] == "12.75" and doc["cart"]["item_count"] == 3
    assert doc["sessions"][0]["expires_at"].startswith("2026-12-11T12:00:00")
    assert "argon2" not in json.dumps(doc) and "password_hash" not in json.dumps(doc)
