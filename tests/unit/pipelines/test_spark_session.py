"""``build_spark`` in a process whose Spark JVM was started by someone else."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# A fresh process: the JVM a plain builder starts has no Kafka connector, and cannot get one.
SCRIPT = """
from pyspark.sql import SparkSession
from pipelines.spark import build_spark
SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
try:
    build_spark("local[1]", "t", "1g", 1, kafka=True)
except RuntimeError as e:
    print("REFUSED:", e)
"""


def test_a_session_without_the_kafka_connector_is_refused_when_kafka_is_asked_for() -> None:
    done = subprocess.run(  # the test's own process may already run Spark
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REFUSED: this process's Spark was started without the Kafka connector" in done.stdout
