"""`emporium services status --json` against the engines `emporium services up` started."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from emporium.cli_services import app

ENGINES = [
    pytest.param("postgres", "postgres_url", marks=pytest.mark.postgres, id="postgres"),
    pytest.param("redis", "redis_url", marks=pytest.mark.redis, id="redis"),
    pytest.param("kafka", "kafka_url", marks=pytest.mark.kafka, id="kafka"),
    pytest.param("search", "opensearch_url", marks=pytest.mark.search, id="search"),
    pytest.param("mlflow", "mlflow_server_url", marks=pytest.mark.mlflow, id="mlflow"),
    pytest.param("spark", "spark_cluster_url", marks=pytest.mark.sparkcluster, id="spark"),
]


def _status(engine: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["status", "--json", "--only", engine])
    report = json.loads(result.stdout)
    return dict(report[engine])


@pytest.mark.parametrize(("engine", "url_fixture"), ENGINES)
def test_status_reports_the_engine_healthy_at_the_tests_url(engine, url_fixture, request):
    url = request.getfixturevalue(url_fixture)
    entry = _status(engine)
    assert entry["healthy"] is True, entry["detail"]
    assert entry["url"] == url
    assert entry["version"]
    assert isinstance(entry["pid"], int)


@pytest.mark.kafka
def test_kafka_topics_exist_with_three_partitions(kafka_url):
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_url.removeprefix("kafka://"))
    try:
        topics = {t["name"]: t for t in admin.describe_topics(["clickstream", "commerce"])}
    finally:
        admin.close()
    assert {name: len(t["partitions"]) for name, t in topics.items()} == {
        "clickstream": 3,
        "commerce": 3,
    }


@pytest.mark.kafka
def test_up_creates_the_topics_the_settings_name(kafka_url, unique, monkeypatch) -> None:
    """The broker creates no topic on first use: renamed topics must exist before use."""
    from kafka.admin import KafkaAdminClient

    topic = f"renamed-commerce-{unique}"
    monkeypatch.setenv("EMPORIUM_EVENTS__COMMERCE_TOPIC", topic)
    result = CliRunner().invoke(app, ["up", "--only", "kafka"])
    assert result.exit_code == 0, result.output
    admin = KafkaAdminClient(bootstrap_servers=kafka_url.removeprefix("kafka://"))
    try:
        assert topic in admin.list_topics()
        admin.delete_topics([topic])
    finally:
        admin.close()


@pytest.mark.postgres
def test_postgres_has_the_mlflow_database_owned_by_emporium(postgres_url):
    import psycopg

    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mlflow'"
        ).fetchone()
    assert row == ("emporium",)
