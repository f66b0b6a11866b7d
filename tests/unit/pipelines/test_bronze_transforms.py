from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.events import Event
from pipelines.transforms.bronze import parse_envelope, to_bronze, to_quarantine

pytestmark = pytest.mark.spark

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _raw(spark: SparkSession, lines: list[str]) -> DataFrame:
    rows = [(line, "clickstream", "log", f"f:{i}", NOW) for i, line in enumerate(lines)]
    return spark.createDataFrame(
        rows, "raw string, topic string, source string, position string, ingested_at timestamp"
    )


def _good(**overrides: object) -> str:
    event = Event(type="product_view", user_id="u1", product_id="85123A", payload={"price": 2.5},
                  ts=NOW)  # fmt: skip
    data = json.loads(event.to_json())
    data.update(overrides)
    return json.dumps(data)


def test_valid_event_keeps_every_envelope_field(spark: SparkSession) -> None:
    event = Event(type="search", user_id="7", request_id="r1", payload={"query": "mug", "n": [1]},
                  ts=NOW)  # fmt: skip
    parsed = parse_envelope(_raw(spark, [event.to_json()]))
    row = to_bronze(parsed).collect()[0]
    assert row.event_id == str(event.event_id)
    assert row.type == "search" and row.user_id == "7" and row.request_id == "r1"
    assert row.ts.replace(tzinfo=UTC) == event.ts
    assert json.loads(row.payload) == {"query": "mug", "n": [1]}
    assert row.schema_version == 1 and row.date == event.ts.date()
    assert to_quarantine(parsed).count() == 0


BAD_RECORDS = [
    ("not json at all", "not a JSON object"),
    ("[1, 2]", "not a JSON object"),
    (_good(event_id=None), "missing event_id"),
    (_good(event_id="abc"), "event_id is not a UUID"),
    (_good(type=""), "missing type"),
    (_good(ts=None), "missing ts"),
    (_good(ts="yesterday"), "ts is not a timestamp"),
    (_good(ts="2026-01-02T03:04:05"), "ts has no time zone"),
    (_good(schema_version=99), "unsupported schema_version"),
    (_good(payload=[1, 2]), "payload is not an object"),
    (_good(payload='{"price": 2.5}'), "payload is not an object"),  # a string, not an object
    (_good(payload=None), "payload is not an object"),
    (_good(type=5), "type is not a string"),
    (_good(type=True), "type is not a string"),
    (_good(type={"name": "view"}), "type is not a string"),
    (_good(ts=1767323045), "ts is not a timestamp"),
    (_good(ts="2026-01-02T03:04Z"), "ts is not a timestamp"),
    (_good(ts="2026-01-02T03:04:05Z\n"), "ts is not a timestamp"),
    (_good(ts="0001-01-01T00:00:00Z"), "ts is before 1970 or more than 24 h after ingestion"),
    (_good(ts="9999-12-31T00:00:00Z"), "ts is before 1970 or more than 24 h after ingestion"),
    (_good(ts="2026-01-03T03:04:06Z"), "ts is before 1970 or more than 24 h after ingestion"),
]


def test_bad_records_go_to_quarantine_with_reason(spark: SparkSession) -> None:
    parsed = parse_envelope(_raw(spark, [line for line, _ in BAD_RECORDS] + [_good()]))
    bad = {r.raw: r.reason for r in to_quarantine(parsed).collect()}
    assert bad == dict(BAD_RECORDS)
    assert to_bronze(parsed).count() == 1


def test_rfc_3339_times_are_taken_in_either_case(spark: SparkSession) -> None:
    """RFC 3339 section 5.6: "T" and "Z" may be lower case; the envelope takes them too."""
    lines = [_good(ts="2026-01-02T03:04:05z"), _good(ts="2026-01-02t03:04:05+00:00")]
    parsed = parse_envelope(_raw(spark, lines))
    assert to_quarantine(parsed).count() == 0
    assert [r.ts.replace(tzinfo=UTC) for r in to_bronze(parsed).collect()] == [NOW, NOW]


# Records the envelope's own validation judges; the window bronze puts on ts is its own.
AGREEMENT = [
    _good(), _good(payload='{"a": 1}'), _good(payload=" {}"), _good(payload=None),
    _good(payload={}), _good(type=7), _good(type="7"), _good(type=1.5), _good(type=None),
    _good(ts="2026-01-02T03:04:05z"), _good(ts="2026-01-02 03:04:05Z"),
    _good(ts="2026-01-02T03:04:05+0100"), _good(ts="2026-01-02T03:04:05.5-01:00"),
    _good(ts="2026-01-02T03:04Z"), _good(ts="2026-01-02"), _good(ts=1767323045),
    _good(ts="1767323045"), _good(ts="2026-01-02T03:04:05"), _good(ts="2026-13-02T03:04:05Z"),
    _good(user_id=7), _good(user_id=7.5), _good(product_id=False),
    _good(event_id="0123456789abcdef0123456789abcdef"),
    _good(event_id="{01234567-89ab-cdef-0123-456789abcdef}"),
    _good(event_id="urn:uuid:01234567-89ab-cdef-0123-456789abcdef"),
    _good(event_id="01234567-89AB-CDEF-0123-456789ABCDEF"), _good(event_id=7),
    _good(schema_version=1.0), _good(schema_version="1"), _good(schema_version="1.0"),
    _good(schema_version=True), _good(schema_version=2), _good(schema_version=None),
    _good(schema_version=" 1"), _good(schema_version="01"), _good(schema_version=1e0),
    _good(event_id="01234567-89ab-cdef-0123-456789abcdef\n"), _good(schema_version=1),
    _good(payload={"schema_version": "1"}),
    json.dumps({k: v for k, v in json.loads(_good()).items() if k != "schema_version"}),
]  # fmt: skip


def test_bronze_takes_exactly_what_the_envelope_takes(spark: SparkSession) -> None:
    def envelope_takes(line: str) -> bool:
        try:
            Event.from_json(line)
        except ValidationError:
            return False
        return True

    parsed = parse_envelope(_raw(spark, AGREEMENT)).collect()
    bronze = {r.raw: r.reason is None for r in parsed}
    assert bronze == {line: envelope_takes(line) for line in AGREEMENT}


def test_an_id_that_is_neither_text_nor_an_integer_is_quarantined(spark: SparkSession) -> None:
    """As the envelope: 12042.0 is not the user "12042" (nor a second user "12042.0")."""
    bad = {
        _good(user_id=12042.0): "user_id is not a string or an integer",
        _good(user_id=True): "user_id is not a string or an integer",
        _good(session_id={"id": 1}): "session_id is not a string or an integer",
        _good(product_id=[1]): "product_id is not a string or an integer",
        _good(request_id=1e3): "request_id is not a string or an integer",
    }
    fine = [_good(user_id=12042), _good(user_id="12042.0"), _good(product_id="true")]
    parsed = parse_envelope(_raw(spark, [*bad, *fine]))
    assert {r.raw: r.reason for r in to_quarantine(parsed).collect()} == bad
    kept = to_bronze(parsed).collect()
    assert sorted((r.user_id, r.product_id) for r in kept) == [
        ("12042", "85123A"), ("12042.0", "85123A"), ("u1", "true"),
    ]  # fmt: skip


def test_bytes_that_are_not_utf8_are_quarantined(spark: SparkSession) -> None:
    """Kafka values are bytes: a Latin-1 "café" must not become the user "caf\ufffd"."""
    good = _good(user_id="cafX").encode()
    values = [good.replace(b"cafX", b"caf\xe9"), good.replace(b"cafX", "café".encode())]
    rows = [(v, "clickstream", "kafka", f"0:{i}", NOW) for i, v in enumerate(values)]
    raw = spark.createDataFrame(
        rows, "value binary, topic string, source string, position string, ingested_at timestamp"
    ).select(
        F.col("value").cast("string").alias("raw"), "topic", "source", "position", "ingested_at"
    )
    parsed = parse_envelope(raw)
    assert [r.reason for r in to_quarantine(parsed).collect()] == ["not UTF-8 text"]
    assert [r.user_id for r in to_bronze(parsed).collect()] == ["café"]


def test_times_from_1970_to_a_day_after_ingestion_are_taken(spark: SparkSession) -> None:
    lines = [_good(ts="1970-01-01T00:00:00Z"), _good(ts="2026-01-03T03:04:05Z")]
    assert to_bronze(parse_envelope(_raw(spark, lines))).count() == 2


def test_nothing_is_dropped(spark: SparkSession) -> None:
    lines = [_good() for _ in range(5)] + ["{", _good(event_id=str(uuid.uuid4()).upper())]
    parsed = parse_envelope(_raw(spark, lines))
    assert to_bronze(parsed).count() + to_quarantine(parsed).count() == len(lines)
