"""Tiny bronze-shaped frames for transform tests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from pipelines.schema import BRONZE_SCHEMA

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def ev(
    type_: str,
    minutes: float,
    user: str | None = "u1",
    product: str | None = None,
    topic: str = "clickstream",
    event_id: str | None = None,
    ingested_min: float = 0.0,
    **payload: Any,
) -> tuple[Any, ...]:
    ts = (T0 + timedelta(minutes=minutes)).replace(tzinfo=None)
    return (
        event_id or str(uuid.uuid4()), type_, ts, user, None, None, product, json.dumps(payload),
        1, topic, "test", "p", (T0 + timedelta(minutes=ingested_min)).replace(tzinfo=None),
        ts.date(),
    )  # fmt: skip


def order(
    minutes: float, user: str, order_id: str, lines: list[tuple[str, float, float]]
) -> tuple[Any, ...]:
    body = [{"product_id": p, "quantity": q, "unit_price": u} for p, q, u in lines]
    return ev("OrderPlaced", minutes, user, None, "commerce", order_id=order_id, lines=body)


def frame(spark: SparkSession, rows: list[tuple[Any, ...]]) -> DataFrame:
    return spark.createDataFrame(rows, BRONZE_SCHEMA)
