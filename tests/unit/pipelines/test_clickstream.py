from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.events.clickstream import EVENT_TYPES, InvalidClientEvent, validate_client_event

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _validate(raw: object, user: str | None = None):  # type: ignore[no-untyped-def]
    return validate_client_event(raw, user_id=user, request_id="req", received_at=NOW)


def test_recommendation_click_carries_model_and_variant() -> None:
    payload = {
        "recommendation_request_id": "rec-1", "model_name": "als", "model_version": "3",
        "variant": "B", "position": 2,
    }  # fmt: skip
    event = _validate({"type": "recommendation_click", "product_id": "p", "payload": payload}, "9")
    assert event.payload == payload and event.user_id == "9" and event.request_id == "req"


def test_server_time_and_user_win_over_the_clients() -> None:
    raw = {
        "type": "page_view",
        "ts": "2020-01-01T00:00:00Z",
        "user_id": "1",
        "payload": {"path": "/"},
    }
    event = _validate(raw)
    assert event.ts == NOW and event.user_id is None
    assert event.payload["client_ts"].startswith("2020-01-01")


def test_client_time_is_kept_in_utc_within_a_day_ahead() -> None:
    raw = {"type": "page_view", "ts": "2026-03-02T13:00:00+02:00", "payload": {"path": "/"}}
    assert _validate(raw).payload["client_ts"] == "2026-03-02T11:00:00+00:00"
    cart = {"type": "begin_checkout", "payload": {"cart_value": 12, "item_count": 2}}
    assert _validate(cart).payload == {"cart_value": 12.0, "item_count": 2}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"type": "purchase"}, "unknown event type"),
        ({"type": "product_view"}, "needs a product_id"),
        ({"type": "page_view", "payload": {"path": "/", "x": 1}}, "payload: x"),
        ({"type": "recommendation_impression", "payload": {"model_name": "m"}}, "payload:"),
        ("not an object", "event"),
        ({"type": "page_view", "bogus": 1}, "bogus"),
        # JSON true is not a quantity, nor text a number
        ({"type": "add_to_cart", "product_id": "p", "payload": {"quantity": True}}, "quantity"),
        ({"type": "add_to_cart", "product_id": "p", "payload": {"quantity": "2"}}, "quantity"),
        ({"type": "begin_checkout", "payload": {"cart_value": False}}, "cart_value"),
        ({"type": "product_view", "product_id": "p", "payload": {"position": True}}, "position"),
        # the client's clock: ISO text with a zone, not before 2000 nor a day ahead of ours
        ({"type": "page_view", "ts": 1767225600, "payload": {"path": "/"}}, "ts: must be ISO"),
        ({"type": "page_view", "ts": "2026-03-01T12:00:00", "payload": {"path": "/"}}, "zone"),
        ({"type": "page_view", "ts": "0001-01-01T00:00:00Z", "payload": {"path": "/"}}, "before"),
        ({"type": "page_view", "ts": "9999-12-31T00:00:00Z", "payload": {"path": "/"}}, "after"),
        ({"type": "page_view", "ts": "2026-03-02T12:00:01Z", "payload": {"path": "/"}}, "after"),
        # what a downstream column can hold: 32-bit counts, 128-character ids, no NUL
        ({"type": "product_view", "product_id": "p", "payload": {"position": 2**70}}, "position"),
        ({"type": "page_view", "payload": {"path": "/a\x00b"}}, "NUL"),
        ({"type": "product_view", "product_id": "p\x00"}, "NUL"),
        (
            {
                "type": "recommendation_impression",
                "payload": {
                    "recommendation_request_id": "r",
                    "model_name": "m",
                    "model_version": "1",
                    "product_ids": ["ok", "x" * 129],
                },
            },
            "product_ids.1",
        ),
    ],
)
def test_invalid_events_say_why(raw: object, fragment: str) -> None:
    with pytest.raises(InvalidClientEvent) as info:
        _validate(raw)
    assert fragment in info.value.reason


def test_purchases_are_not_client_events() -> None:
    assert "purchase" not in EVENT_TYPES and "OrderPlaced" not in EVENT_TYPES
