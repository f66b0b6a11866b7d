"""``build_spark``: a JVM started by someone else, and the Kafka connector's jars as files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyspark
import pytest

from pipelines.spark import KAFKA_PACKAGE
from pipelines.spark_jars import jar_name, remember, remembered

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


# Each start in its own process (one Spark JVM per process): which way the connector came,
# and whether this Spark can open a Kafka stream (resolved lazily: no broker is contacted).
START = """
import sys
from pathlib import Path
from pipelines.spark import build_spark
spark = build_spark("local[1]", "t", "1g", 1, kafka=True, jar_list=Path(sys.argv[1]))
conf = spark.sparkContext.getConf()
print("PACKAGES:", conf.get("spark.jars.packages", None))
print("JARS:", conf.get("spark.jars", None))
stream = spark.readStream.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:9")
print("KAFKA:", stream.option("subscribe", "t").load().isStreaming)
"""


def _start(listing: Path) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", START, str(listing)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(
        line.split(": ", 1) for line in done.stdout.splitlines() if line.split(":")[0].isupper()
    )


def test_the_connector_is_resolved_once_then_given_as_files(tmp_path: Path) -> None:
    listing = tmp_path / "jars.txt"
    first = _start(listing)
    assert first["PACKAGES"] == KAFKA_PACKAGE and first["KAFKA"] == "True"
    listed = listing.read_text().split()
    assert any(f.endswith(jar_name(KAFKA_PACKAGE)) for f in listed)
    bundled = {p.name for p in (Path(pyspark.__file__).parent / "jars").iterdir()}
    assert not [f for f in listed if f.split("_", 1)[-1] in bundled], "pyspark has those"

    second = _start(listing)
    assert second["PACKAGES"] == "None", "nothing resolved the second time"
    assert second["JARS"].count(".jar") == len(listed) and second["KAFKA"] == "True"


def test_a_list_is_written_only_with_the_connector_and_without_pysparks_own_jars(
    tmp_path: Path,
) -> None:
    listing = tmp_path / "jars.txt"
    jars = Path(pyspark.__file__).parent / "jars"
    own = next(jars.glob("hadoop-client-api-*.jar")).name
    remember(KAFKA_PACKAGE, f"file:///ivy/jars/org.apache.hadoop_{own}", listing)
    assert not listing.exists(), "no connector in it: someone else's session"

    connector = f"file:///ivy/jars/org.apache.spark_{jar_name(KAFKA_PACKAGE)}"
    remember(KAFKA_PACKAGE, f"{connector},file:///ivy/jars/org.apache.hadoop_{own}", listing)
    assert listing.read_text().split() == [f"/ivy/jars/org.apache.spark_{jar_name(KAFKA_PACKAGE)}"]
    assert remembered(KAFKA_PACKAGE, listing) is None, "a listed file is gone: resolve again"
