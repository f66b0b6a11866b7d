"""One SparkSession for all pipeline unit tests: Spark start-up is the expensive part."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession

from pipelines.spark import build_spark


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = build_spark(
        master="local[2]",
        app_name="emporium-unit-tests",
        driver_memory="1g",
        shuffle_partitions=2,
        kafka=True,  # the same session serves the integration tests in one run
    )
    yield session
    session.stop()
