"""Build the one SparkSession a job runs in, from plain arguments (no settings import)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from pipelines import spark_jars

# Must match pyspark's version exactly (pyspark is pinned to 4.2.0); resolved from Maven Central.
KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0"
KAFKA_SOURCE_CLASS = "org.apache.spark.sql.kafka010.KafkaSourceProvider"

log = logging.getLogger(__name__)


def build_spark(
    master: str = "local[*]",
    app_name: str = "emporium",
    driver_memory: str = "2g",
    shuffle_partitions: int = 4,
    kafka: bool = True,
    extra_conf: dict[str, str] | None = None,
    jar_list: Path | None = None,
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
        Put the ``spark-sql-kafka-0-10`` connector on the class path: its jar files when an
        earlier process listed them in ``jar_list``, else resolved from Maven Central through
        ``spark.jars.packages`` (and then listed; see ``pipelines.spark_jars``).
    extra_conf
        Further ``spark.*`` settings (a ``spark.jars`` of your own is kept beside the
        connector's).
    jar_list
        Where the connector's resolved jars are listed; by default in the user's cache
        (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``emporium/``).
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
    conf = dict(extra_conf or {})
    listing = jar_list or spark_jars.default_list(KAFKA_PACKAGE)
    jars = spark_jars.remembered(KAFKA_PACKAGE, listing) if kafka else None
    if jars:
        conf["spark.jars"] = ",".join(filter(None, [*jars, conf.get("spark.jars")]))
    elif kafka:
        builder = builder.config("spark.jars.packages", KAFKA_PACKAGE)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    _check_reused(spark, master, kafka)
    if kafka and not jars:
        resolved = spark.sparkContext.getConf().get("spark.jars", "") or ""
        spark_jars.remember(KAFKA_PACKAGE, resolved, listing)
    return spark


def _check_reused(spark: SparkSession, master: str, kafka: bool) -> None:
    """Say so when ``getOrCreate`` handed back a session that is not what was asked for.

    A process has one Spark JVM, and its jars are read only when it starts: a
    JVM first started without the Kafka connector (by a plain ``SparkSession.builder``, such
    as Spark ALS's) can never read Kafka, which would otherwise surface much later as
    "Failed to find data source: kafka". A different master is only a warning: the running
    session still computes the same results.

    Raises
    ------
    RuntimeError
        If ``kafka`` was asked for and this process's Spark cannot load the connector.
    """
    actual = spark.sparkContext.master
    if actual != master:
        log.warning(
            "reusing this process's SparkSession on %s, not %s: stop it first for another master",
            actual,
            master,
        )
    jvm = spark._jvm
    if (
        kafka
        and jvm is not None
        and not jvm.org.apache.spark.util.Utils.classIsLoadable(KAFKA_SOURCE_CLASS)
    ):
        raise RuntimeError(
            "this process's Spark was started without the Kafka connector "
            f"({KAFKA_PACKAGE}): Spark reads its jars only when its JVM starts, "
            "so start Kafka jobs in a fresh process, or build the first session of the "
            "process with pipelines.spark.build_spark(kafka=True)"
        )


def _prepare_environment() -> None:
    # Executors must run the same interpreter as the driver, and bind to loopback only.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
