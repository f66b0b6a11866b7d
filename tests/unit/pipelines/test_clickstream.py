from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.clickstream import EVENT_TYPES, InvalidClientEvent, validate_client_event

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


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"type": "purchase"}, "unknown event type"),
        ({"type": "product_view"}, "needs a product_id"),
        ({"type": "page_view", "payload": {"path": "/", "x": 1}}, "payload: x"),
        ({"type": "recommendation_impression", "payload": {"model_name": "m"}}, "payload:"),
        ("not an object", "event"),
        ({"type": "page_view", "bogus": 1}, "bogus"),
    ],
)
def test_invalid_events_say_why(raw: object, fragment: str) -> None:
    with pytest.raises(InvalidClientEvent) as info:
        _validate(raw)
    assert fragment in info.value.reason


def test_purchases_are_not_client_events() -> None:
    assert "purchase" not in EVENT_TYPES and "OrderPlaced" not in EVENT_TYPES
