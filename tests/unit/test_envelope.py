"""The event envelope every producer and consumer speaks."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from pipelines.events.envelope import Event


def test_alphanumeric_product_code_stays_a_string() -> None:
    event = Event(type="view", product_id="85123A")
    assert event.product_id == "85123A"
    assert Event.from_json(event.to_json()).product_id == "85123A"


def test_leading_zeros_survive_a_round_trip() -> None:
    event = Event(type="view", product_id="00123")
    assert Event.from_json(event.to_json()).product_id == "00123"


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        Event(type="view", ts=datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("ts", ["2026-01-02T03:04:05z", "2026-01-02t03:04:05Z"])
def test_rfc_3339_text_in_either_case_is_taken(ts: str) -> None:
    event = Event.model_validate({"type": "view", "ts": ts})
    assert event.ts == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("ts", [1767323045, "1767323045", "2026-01-02T03:04Z", "2026-01-02"])
def test_a_time_that_is_not_rfc_3339_is_refused(ts: object) -> None:
    """Bronze quarantines these: Unix seconds, a time without seconds, a bare date."""
    with pytest.raises(ValidationError, match="RFC 3339"):
        Event.model_validate({"type": "view", "ts": ts})


def test_aware_timestamp_is_normalised_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    event = Event(type="view", ts=datetime(2026, 1, 1, 13, 0, tzinfo=paris))
    assert event.ts == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert event.ts.utcoffset() == timedelta(0)


def test_integer_ids_become_strings() -> None:
    # As they arrive from datasets such as Taobao and REES46.
    event = Event.model_validate(
        {"type": "cart", "user_id": 1001, "session_id": 7, "product_id": 42}
    )
    assert (event.user_id, event.session_id, event.product_id) == ("1001", "7", "42")


def test_boolean_id_is_refused() -> None:
    with pytest.raises(ValidationError):
        Event.model_validate({"type": "view", "user_id": True})


def test_key_is_the_user_when_known() -> None:
    assert Event(type="view", user_id="u1", session_id="s1").key() == "u:u1"


def test_key_falls_back_to_the_session() -> None:
    assert Event(type="view", session_id="s1").key() == "s:s1"


def test_key_of_a_fully_anonymous_event() -> None:
    assert Event(type="view").key() == "anonymous"


def test_json_round_trip_keeps_every_field() -> None:
    event = Event(
        type="purchase",
        ts=datetime(2026, 11, 26, 8, 0, 0, 123456, tzinfo=UTC),
        user_id="u1",
        session_id="s1",
        request_id="r1",
        product_id="85123A",
        payload={"quantity": 2, "price": "2.55", "tags": ["gift"]},
    )
    again = Event.from_json(event.to_json())
    assert again == event
    assert isinstance(again.event_id, uuid.UUID)
    assert Event.from_json(event.to_bytes()) == event


def test_json_is_a_single_line() -> None:
    event = Event(type="review", payload={"text": "line one\nline two"})
    assert "\n" not in event.to_json()


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Event.from_json('{"type": "view", "colour": "red"}')


@pytest.mark.parametrize(
    "event_id",
    [
        "0123456789abcdef0123456789abcdef",  # uuid.UUID takes these; bronze does not
        "{01234567-89ab-cdef-0123-456789abcdef}",
        "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdef\n",
    ],
)
def test_an_event_id_not_in_canonical_uuid_form_is_refused(event_id: str) -> None:
    with pytest.raises(ValidationError, match="event_id must be a UUID"):
        Event(type="view", event_id=event_id)


def test_an_upper_case_event_id_is_taken_and_written_in_lower_case() -> None:
    event = Event(type="view", event_id="01234567-89AB-CDEF-0123-456789ABCDEF")
    assert str(event.event_id) == "01234567-89ab-cdef-0123-456789abcdef"


@pytest.mark.parametrize("version", [1.0, "1", True, "1.0"])
def test_a_schema_version_that_is_not_an_integer_is_refused(version: object) -> None:
    with pytest.raises(ValidationError, match="schema_version must be an integer"):
        Event(type="view", schema_version=version)


def test_an_unsupported_schema_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="unsupported schema_version 2"):
        Event(type="view", schema_version=2)


def test_a_record_from_the_wire_must_say_its_schema_version() -> None:
    record = Event(type="view").model_dump(mode="json")
    del record["schema_version"]
    with pytest.raises(ValidationError, match="schema_version is required"):
        Event.from_json(json.dumps(record))
    assert Event(type="view").schema_version == 1  # built in Python: the current version
