"""Generated configs and commands of `emporium services`, checked without starting engines."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from emporium.services import ServiceContext, resolve
from emporium.services.envfiles import write_env_files
from emporium.services.install import Installer, JavaHome
from emporium.services.kafka import KafkaService, pom, random_cluster_id, server_properties
from emporium.services.mlflow import MlflowService
from emporium.services.postgres import PostgresService, cluster_base
from emporium.services.redis import RedisService
from emporium.services.registry import REGISTRY, build, with_dependents
from emporium.services.search import SearchService


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(tmp_path / "services", Installer(allow_install=False), print)


def _properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_kafka_config_is_single_node_kraft_on_loopback_without_auto_topics(tmp_path: Path):
    props = _properties(server_properties(59092, 59093, tmp_path / "data"))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:59092,CONTROLLER://127.0.0.1:59093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:59092"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["log.dirs"] == str(tmp_path / "data")


def test_kafka_pom_brings_a_log4j2_binding_for_slf4j_2():
    text = pom("4.1.1")
    assert "<artifactId>kafka_2.13</artifactId><version>4.1.1</version>" in text
    assert "log4j-slf4j2-impl" in text and "<artifactId>slf4j-api</artifactId>" in text


def test_kafka_cluster_id_is_a_url_safe_base64_uuid():
    for _ in range(50):
        cluster_id = random_cluster_id()
        assert len(cluster_id) == 22 and not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_kafka_launch_uses_the_chosen_java_and_a_small_heap(ctx: ServiceContext, tmp_path: Path):
    service = KafkaService(ctx)
    service._java = JavaHome(tmp_path / "jdk", 17)
    service._libs = tmp_path / "libs"
    argv = service.java_argv("kafka.Kafka", "server.properties")
    assert argv[0] == str(tmp_path / "jdk" / "bin" / "java")
    assert "-Xmx512m" in argv and f"{tmp_path / 'libs'}/*" in argv


def test_redis_config_binds_loopback_and_never_saves(ctx: ServiceContext):
    lines = RedisService(ctx).config().splitlines()
    assert "bind 127.0.0.1" in lines and "port 56379" in lines
    assert 'save ""' in lines and "appendonly no" in lines


def test_postgres_cluster_lives_outside_the_checkout_one_per_state_dir(tmp_path: Path):
    first, second = cluster_base(tmp_path / "a"), cluster_base(tmp_path / "b")
    assert first != second and first == cluster_base(tmp_path / "a")
    assert first.parent == Path("/var/tmp") and tmp_path not in first.parents


def test_postgres_listens_on_loopback_with_its_own_socket_dir(ctx: ServiceContext):
    service = PostgresService(ctx)
    argv = service.server_argv()
    assert argv[argv.index("-p") + 1] == "55432"
    assert argv[argv.index("-k") + 1] == str(service.socket_dir)
    assert "listen_addresses=127.0.0.1" in argv
    assert service.url == "postgresql+psycopg://emporium:emporium@127.0.0.1:55432/emporium"


def test_search_node_gets_its_ports_heap_and_data_dir(ctx: ServiceContext, tmp_path: Path):
    service = SearchService(ctx)
    service._java = JavaHome(tmp_path / "jdk", 17)
    service._libs, service._classes = tmp_path / "libs", tmp_path / "classes"
    argv = service.launch_argv()
    assert "-Xmx1g" in argv and argv[-4:] == [
        "SearchNode",
        str(ctx.state_dir / "search" / "node"),
        "59200",
        "59300",
    ]


def test_mlflow_uses_the_postgres_mlflow_database_and_serves_artifacts(ctx: ServiceContext):
    argv = MlflowService(ctx).launch_argv()
    assert argv[argv.index("--backend-store-uri") + 1] == (
        "postgresql+psycopg://emporium:emporium@127.0.0.1:55432/mlflow"
    )
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "55000"
    assert "--serve-artifacts" in argv


def test_stopping_an_engine_takes_its_dependents_along_not_its_prerequisites():
    assert with_dependents(["postgres"]) == ["postgres", "mlflow", "worker"]
    assert with_dependents(["payments"]) == ["payments", "worker"]
    assert with_dependents(["mlflow"]) == ["mlflow"]
    assert with_dependents(["redis"]) == ["redis"]


def test_resolve_adds_prerequisites_in_start_order():
    assert resolve(["mlflow"]) == ["postgres", "mlflow"]
    assert resolve(None) == list(REGISTRY)
    with pytest.raises(KeyError):
        resolve(["cassandra"])


def _sourced(path: Path, variable: str) -> str:
    script = f'. "{path}" && printf %s "${variable}"'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout


def test_env_files_export_the_variables_tests_and_settings_read(ctx: ServiceContext):
    test_env, real_env = write_env_files(ctx.state_dir, build(ctx, list(REGISTRY)))
    assert _sourced(test_env, "EMPORIUM_TEST_KAFKA_URL") == "kafka://127.0.0.1:59092"
    assert _sourced(test_env, "EMPORIUM_TEST_OPENSEARCH_URL") == "opensearch://127.0.0.1:59200"
    assert _sourced(test_env, "EMPORIUM_TEST_MLFLOW_URL") == "http://127.0.0.1:55000"
    assert _sourced(real_env, "EMPORIUM_CACHE__URL") == "redis://127.0.0.1:56379/0"
    assert _sourced(real_env, "EMPORIUM_SEARCH__URL") == "opensearch://127.0.0.1:59200"
    assert _sourced(real_env, "EMPORIUM_DATABASE__URL").endswith("@127.0.0.1:55432/emporium")


def test_env_files_leave_out_engines_that_are_not_up(ctx: ServiceContext):
    test_env, _ = write_env_files(ctx.state_dir, build(ctx, ["redis"]))
    assert "EMPORIUM_TEST_REDIS_URL" in test_env.read_text()
    assert "EMPORIUM_TEST_POSTGRES_URL" not in test_env.read_text()
