"""The Spark schemas of the event envelope and of the lake's bronze and quarantine tables.

The envelope mirrors ``pipelines.events.envelope.Event``. ``payload`` is kept as its JSON text
in bronze: payloads differ per event type, and silver extracts the typed fields it needs.
Every field is read as a string first so a malformed value becomes a quarantine reason
instead of a silent null.
"""

from __future__ import annotations

from pyspark.sql import types as T

ENVELOPE_FIELDS: tuple[str, ...] = (
    "event_id",
    "type",
    "ts",
    "user_id",
    "session_id",
    "request_id",
    "product_id",
    "payload",
    "schema_version",
)

# How the raw JSON is read: all text, so validation decides what is wrong and says why.
RAW_ENVELOPE_SCHEMA = T.StructType([T.StructField(n, T.StringType()) for n in ENVELOPE_FIELDS])

# The envelope once validated.
ENVELOPE_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.StringType(), False),
        T.StructField("type", T.StringType(), False),
        T.StructField("ts", T.TimestampType(), False),
        T.StructField("user_id", T.StringType()),
        T.StructField("session_id", T.StringType()),
        T.StructField("request_id", T.StringType()),
        T.StructField("product_id", T.StringType()),
        T.StructField("payload", T.StringType()),
        T.StructField("schema_version", T.IntegerType(), False),
    ]
)

# Where a record came from: the bus, the topic and its position there.
SOURCE_FIELDS = T.StructType(
    [
        T.StructField("topic", T.StringType()),
        T.StructField("source", T.StringType()),
        T.StructField("position", T.StringType()),
        T.StructField("ingested_at", T.TimestampType()),
    ]
)

BRONZE_SCHEMA = T.StructType(
    [*ENVELOPE_SCHEMA.fields, *SOURCE_FIELDS.fields, T.StructField("date", T.DateType())]
)
BRONZE_PARTITIONS: tuple[str, ...] = ("date", "type")

QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("raw", T.StringType()),
        T.StructField("reason", T.StringType()),
        *SOURCE_FIELDS.fields,
        T.StructField("date", T.DateType()),
    ]
)
QUARANTINE_PARTITIONS: tuple[str, ...] = ("date",)

# An order line inside an ``OrderPlaced`` payload. Read as text and cast afterwards: commerce
# sends money as decimal strings ("2.55"), replays as numbers; ``sku`` is accepted for
# ``product_id``.
ORDER_LINES_SCHEMA = T.ArrayType(
    T.StructType(
        [
            T.StructField("product_id", T.StringType()),
            T.StructField("sku", T.StringType()),
            T.StructField("quantity", T.StringType()),
            T.StructField("unit_price", T.StringType()),
        ]
    )
)
