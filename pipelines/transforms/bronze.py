"""Raw records → validated envelope rows, or quarantine rows that say what was wrong."""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.events.envelope import SUPPORTED_SCHEMA_VERSIONS, TS_PATTERN, UUID_PATTERN
from pipelines.schema import BRONZE_SCHEMA, QUARANTINE_SCHEMA, RAW_ENVELOPE_SCHEMA

#: Event times bronze takes: from the Unix epoch to a day after the event was ingested (clocks
#: run a little ahead). A time outside once broke or corrupted every batch after it: year 1
#: cannot be collected into Python, and year 9999 as the feature time decayed every weight to 0.
EARLIEST_TS = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_AHEAD_HOURS = 24
REASON = "reason"
ID_FIELDS = ("user_id", "session_id", "request_id", "product_id")
# The text Spark gives for a JSON boolean, object, array or number with a fraction or an
# exponent (never for an integer). A string id rarely looks like one: only these are parsed
# again to learn the JSON type, so the common case costs nothing more.
_ODD_ID_TEXT = r"^(true|false|[\[{].*|-?\d[\d.eE+-]*)$"
_INTEGER_TEXT = r"^-?\d+$"


def parse_envelope(raw: DataFrame) -> DataFrame:
    """Parse the ``raw`` JSON column into envelope columns plus a ``reason`` (null when valid).

    ``raw`` must carry ``raw`` (the record text) and the source columns ``topic``, ``source``,
    ``position``, ``ingested_at``. Nothing is dropped: every input row comes out once.
    """
    j = F.from_json(F.col("raw"), RAW_ENVELOPE_SCHEMA)
    parsed = raw.withColumn("_j", j).withColumn("_is_obj", _is_json_object(F.col("raw")))
    typed = parsed.select(
        "*",
        F.col("_j.event_id").alias("event_id"),
        F.col("_j.type").alias("type"),
        # Spark's cast takes "T" and "Z" in upper case only; RFC 3339 allows both cases.
        F.upper(F.col("_j.ts")).try_cast("timestamp").alias("ts"),
        F.col("_j.user_id").alias("user_id"),
        F.col("_j.session_id").alias("session_id"),
        F.col("_j.request_id").alias("request_id"),
        F.col("_j.product_id").alias("product_id"),
        F.col("_j.payload").alias("payload"),
        F.col("_j.schema_version").try_cast("int").alias("schema_version"),
        F.col("_j.ts").alias("_ts_text"),
    )
    return typed.withColumn(REASON, _reason()).drop("_j", "_is_obj", "_ts_text")


def _is_json_object(raw: Column) -> Column:
    # get_json_object returns null for text that is not JSON at all.
    return F.ltrim(raw).startswith("{") & F.get_json_object(raw, "$").isNotNull()


def _reason() -> Column:
    versions = [F.lit(v) for v in SUPPORTED_SCHEMA_VERSIONS]
    reason = (
        F.when(F.col("raw").isNull(), F.lit("not a JSON object"))
        # Kafka hands over bytes: invalid UTF-8 would reach bronze as U+FFFD, merging ids.
        .when(~F.is_valid_utf8("raw"), F.lit("not UTF-8 text"))
        .when(~F.col("_is_obj"), F.lit("not a JSON object"))
        .when(F.col("event_id").isNull(), F.lit("missing event_id"))
        # \z, not $, as for ts below.
        .when(~F.col("event_id").rlike(f"^{UUID_PATTERN}\\z"), F.lit("event_id is not a UUID"))
        .when(F.col("type").isNull() | (F.length("type") == 0), F.lit("missing type"))
        .when(_is_not_text("type"), F.lit("type is not a string"))
        .when(F.length("type") > 64, F.lit("type longer than 64 characters"))
        .when(F.col("_ts_text").isNull(), F.lit("missing ts"))
        # \z, not $: Java's $ also matches before a final line break, which Python refuses.
        .when(~F.col("_ts_text").rlike(f"^{TS_PATTERN}\\z"), F.lit("ts is not a timestamp"))
        .when(F.col("ts").isNull(), F.lit("ts is not a timestamp"))
        .when(~F.col("_ts_text").rlike(r"([Zz]|[+-][0-9:]{4,5})$"), F.lit("ts has no time zone"))
        .when(
            (F.col("ts") < F.lit(EARLIEST_TS))
            | (F.col("ts") > F.col("ingested_at") + F.expr(f"INTERVAL {CLOCK_AHEAD_HOURS} HOURS")),
            F.lit(f"ts is before 1970 or more than {CLOCK_AHEAD_HOURS} h after ingestion"),
        )
        .when(
            F.col("schema_version").isNull() | ~F.col("schema_version").isin(*versions),
            F.lit("unsupported schema_version"),
        )
        .when(_is_quoted("schema_version"), F.lit("schema_version is not an integer"))
        .when(_is_not_object("payload"), F.lit("payload is not an object"))
    )
    for name in ID_FIELDS:
        # As the envelope: an id is text; an integer becomes its digits, any other value is bad.
        reason = reason.when(_is_odd_id(name), F.lit(f"{name} is not a string or an integer"))
    return reason


def _is_odd_id(name: str) -> Column:
    text = F.col(name)
    suspect = text.rlike(_ODD_ID_TEXT) & ~text.rlike(_INTEGER_TEXT)
    kind = _json_kind(name)
    return F.when(suspect, kind.isNotNull() & (kind != "STRING")).otherwise(F.lit(False))


def _is_not_text(name: str) -> Column:
    # As an id, but an integer is no exception: the envelope's type is text only.
    kind = _json_kind(name)
    suspect = F.col(name).rlike(_ODD_ID_TEXT)
    return F.when(suspect, kind.isNotNull() & (kind != "STRING")).otherwise(F.lit(False))


def _is_quoted(name: str) -> Column:
    # Spark reads the JSON string "1" as the integer 1's text; only the JSON type tells them
    # apart, so only records whose raw text shows a quote after the key parse again.
    maybe_string = F.col("raw").rlike(f'"{name}"\\s*:\\s*"')
    return F.when(maybe_string, F.coalesce(_json_kind(name) == "STRING", F.lit(False))).otherwise(
        F.lit(False)
    )


def _is_not_object(name: str) -> Column:
    # Spark reads a JSON string as its content, so the text "{...}" may have been a string:
    # only the JSON type tells. A JSON null (VOID) is not an object either; absent is fine.
    # Parsing again costs a second parse per event, so only records whose raw text shows a
    # string or null after the key pay it (a key inside the payload can match too: harmless).
    text, kind = F.ltrim(F.col(name)), _json_kind(name)
    maybe_string = F.col("raw").rlike(f'"{name}"\\s*:\\s*(?:"|null)')
    return (
        F.when(~maybe_string, text.isNotNull() & ~text.startswith("{"))
        .when(text.isNull(), F.coalesce(kind == "VOID", F.lit(False)))
        .when(~text.startswith("{"), F.lit(True))
        .otherwise(F.coalesce(~kind.startswith("OBJECT"), F.lit(False)))
    )


def _json_kind(name: str) -> Column:
    """The JSON type of the record's top-level ``name`` (STRING, BIGINT, OBJECT<...>, VOID
    for null; null when absent or the record does not parse). It parses the record again:
    guard it with a ``when`` so only the rows that need it pay."""
    value = F.try_variant_get(F.try_parse_json(F.col("raw")), f"$.{name}", "variant")
    return F.schema_of_variant(value)


def to_bronze(parsed: DataFrame) -> DataFrame:
    """The valid rows of ``parse_envelope``'s output, in the bronze table's columns."""
    valid = parsed.where(F.col(REASON).isNull())
    valid = valid.withColumn("event_id", F.lower("event_id"))
    valid = valid.withColumn("payload", F.coalesce(F.col("payload"), F.lit("{}")))
    valid = valid.withColumn("date", F.to_date("ts"))
    return valid.select(*[F.col(f.name).cast(f.dataType) for f in BRONZE_SCHEMA.fields])


def to_quarantine(parsed: DataFrame) -> DataFrame:
    """The invalid rows of ``parse_envelope``'s output, with the raw text and the reason."""
    bad = parsed.where(F.col(REASON).isNotNull())
    bad = bad.withColumn("date", F.to_date("ingested_at"))
    return bad.select(*[F.col(f.name).cast(f.dataType) for f in QUARANTINE_SCHEMA.fields])
