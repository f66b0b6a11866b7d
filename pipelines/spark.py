"""Build the one SparkSession a job runs in, from plain arguments (no settings import)."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

# Must match pyspark's version exactly (pyspark is pinned to 4.2.0); resolved from Maven Central.
KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0"


def build_spark(
    master: str = "local[*]",
    app_name: str = "emporium",
    driver_memory: str = "2g",
    shuffle_partitions: int = 4,
    kafka: bool = True,
    extra_conf: dict[str, str] | None = None,
) -> SparkSession:
    """Create (or reuse) a SparkSession.

    Parameters
    ----------
    master
        ``local[*]`` / ``local[2]`` or a cluster master such as ``spark://host:7077``.
    app_name
        Shown in the Spark UI.
    driver_memory
        Set before the JVM starts (it cannot change afterwards).
    shuffle_partitions
        Small on purpose: the demo machine has two cores.
    kafka
        Add the ``spark-sql-kafka-0-10`` connector through ``spark.jars.packages``.
    extra_conf
        Further ``spark.*`` settings.
    """
    _prepare_environment()
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.streaming.stopGracefullyOnShutdown", "true")
    )
    if kafka:
        builder = builder.config("spark.jars.packages", KAFKA_PACKAGE)
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _prepare_environment() -> None:
    # Executors must run the same interpreter as the driver, and bind to loopback only.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
