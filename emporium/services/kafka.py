"""Apache Kafka 4 in KRaft mode (one combined broker + controller) on 127.0.0.1:59092.

Jars come from Maven Central via a generated pom; the broker runs as
``java -cp 'libs/*' kafka.Kafka server.properties`` with a small heap.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emporium.services import process
from emporium.services.base import HOST, Health, Launch, ManagedService, java_env
from emporium.services.errors import NotHealthyError
from emporium.services.install import JavaHome, run_bounded

if TYPE_CHECKING:
    from kafka.admin import KafkaAdminClient

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.25.3"
SLF4J_VERSION = "2.0.17"
CONTROLLER_PORT = 59093
TOPICS = ("clickstream", "commerce")
PARTITIONS = 3
FORMAT_TIMEOUT = 120.0
#: Bound on the first consumer group: creating and loading ``__consumer_offsets`` (50
#: partitions) takes a second on an idle machine, far longer beside other JVMs starting.
GROUP_READY_TIMEOUT = 120.0
READY_GROUP = "emporium-services-ready"


def _dependency(group: str, artifact: str, version: str) -> str:
    return (
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{version}</version></dependency>"
    )


def pom(version: str = KAFKA_VERSION) -> str:
    """kafka_2.13 plus a log4j2 binding (the broker logs through slf4j 2)."""
    deps = "\n    ".join(
        [
            _dependency("org.apache.kafka", "kafka_2.13", version),
            _dependency("org.apache.logging.log4j", "log4j-slf4j2-impl", LOG4J_VERSION),
            _dependency("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
            # kafka_2.13 pulls slf4j-api 1.7, which cannot see the slf4j 2 binding.
            _dependency("org.slf4j", "slf4j-api", SLF4J_VERSION),
        ]
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>emporium.services</groupId><artifactId>kafka-runtime</artifactId>
  <version>{version}</version><packaging>pom</packaging>
  <dependencies>
    {deps}
  </dependencies>
</project>
"""


def server_properties(port: int, controller_port: int, log_dir: Path) -> str:
    """A single-node KRaft config: topics are created explicitly, never on first use."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",
        "log.dirs": str(log_dir),
        "num.partitions": str(PARTITIONS),
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # One node: waiting for more consumers to join a group only slows tests down.
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


LOG4J2_YAML = """Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
"""


def random_cluster_id() -> str:
    """A Kafka cluster id: a UUID in URL-safe base64 (Kafka avoids a leading '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


class KafkaService(ManagedService):
    name = "kafka"
    port = 59092
    controller_port: ClassVar[int] = CONTROLLER_PORT
    extra_ports: ClassVar[tuple[int, ...]] = (CONTROLLER_PORT,)
    start_timeout: ClassVar[float] = 90.0
    stop_timeout: ClassVar[float] = 30.0
    _java: JavaHome | None = None
    _libs: Path | None = None

    @property
    def url(self) -> str:
        return f"kafka://{HOST}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def install(self) -> None:
        self._java = self.ctx.installer.java(self.name, minimum=17)
        self._libs = self.ctx.installer.maven_jars(self.name, "kafka", pom(), self._java)

    def java_argv(self, main: str, *args: str, heap: str = "-Xmx512m") -> list[str]:
        assert self._java is not None and self._libs is not None, "install() first"
        return [
            str(self._java.java),
            heap,
            f"-Dlog4j2.configurationFile={self.dir / 'log4j2.yaml'}",
            "-cp",
            f"{self._libs}/*",
            main,
            *args,
        ]

    def prepare(self) -> Launch:
        assert self._java is not None
        self.dir.mkdir(parents=True, exist_ok=True)
        config = self.dir / "server.properties"
        config.write_text(server_properties(self.port, self.controller_port, self.data_dir))
        (self.dir / "log4j2.yaml").write_text(LOG4J2_YAML)
        (self.dir / "version").write_text(KAFKA_VERSION + "\n")
        if not (self.data_dir / "meta.properties").exists():
            self.ctx.echo(f"  formatting storage {self.data_dir}")
            run_bounded(
                self.java_argv(
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    random_cluster_id(),
                    "-c",
                    str(config),
                    heap="-Xmx256m",
                ),
                self.name,
                FORMAT_TIMEOUT,
                env=java_env(self._java.home),
            )
        argv = self.java_argv("kafka.Kafka", str(config))
        argv.insert(1, "-Xms256m")
        return Launch(argv, env=java_env(self._java.home), cwd=self.dir)

    def _admin(self) -> KafkaAdminClient:
        from kafka.admin import KafkaAdminClient

        return KafkaAdminClient(
            bootstrap_servers=f"{HOST}:{self.port}",
            client_id="emporium-services",
            request_timeout_ms=5000,
            bootstrap_timeout_ms=3000,
        )

    def after_start(self) -> None:
        """Create the topics (auto-creation is off), then wait until consumer groups work."""
        self._create_topics()
        self._wait_for_groups()

    def _create_topics(self) -> None:
        """Create the topics explicitly (idempotent): the default names and any the settings
        rename them to."""
        from kafka.admin import NewTopic
        from kafka.errors import TopicAlreadyExistsError

        admin = self._admin()
        try:
            existing = set(admin.list_topics())
            for topic in dict.fromkeys((*TOPICS, *self.ctx.topics)):
                if topic not in existing:
                    # Another `up` may have created it in the meantime.
                    with contextlib.suppress(TopicAlreadyExistsError):
                        admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
        finally:
            admin.close()

    def _wait_for_groups(self, timeout_s: float = GROUP_READY_TIMEOUT) -> None:
        """Wait (bounded) until a consumer group can commit; NotHealthyError if none can.

        A broker answers metadata long before it serves a consumer group: the first group
        creates ``__consumer_offsets`` and loads its partitions, and until then joins and
        commits are refused (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR), so a consumer
        started at once waited out that load or gave up.
        """
        from kafka.errors import KafkaError

        try:
            self._commit_probe(timeout_s)
        except KafkaError as exc:
            raise NotHealthyError(
                self.name,
                f"no consumer group could commit within {timeout_s:.0f}s ({exc!r}): the group "
                f"coordinator never became ready\n{self._log_tail()}",
            ) from exc
        admin = self._admin()
        try:  # the probe group is only a check: leave no group behind
            admin.delete_groups([READY_GROUP])
        finally:
            admin.close()

    def _commit_probe(self, timeout_s: float) -> None:
        """Commit offset 0 of the first topic for a probe group; kafka-python retries the
        coordinator's refusals within the commit's timeout, so one commit is the wait."""
        from kafka import KafkaConsumer
        from kafka.structs import OffsetAndMetadata, TopicPartition

        timeout_ms = int(timeout_s * 1000)
        probe = KafkaConsumer(
            group_id=READY_GROUP,
            enable_auto_commit=False,
            bootstrap_servers=f"{HOST}:{self.port}",
            client_id="emporium-services",
            request_timeout_ms=5000,
            bootstrap_timeout_ms=min(timeout_ms, 5000),
        )
        try:
            offsets = {TopicPartition(TOPICS[0], 0): OffsetAndMetadata(0, "", -1)}
            probe.commit(offsets, timeout_ms=timeout_ms)
        finally:
            probe.close(autocommit=False)

    def health(self) -> Health:
        # kafka-python waits out its bootstrap timeout on a closed port; a plain connect
        # answers at once.
        if process.port_is_free(self.port, HOST):
            return Health(False, detail=f"nothing listens on {HOST}:{self.port}")
        try:
            admin = self._admin()
            try:
                cluster = admin.describe_cluster()
            finally:
                admin.close()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return Health(False, detail=str(exc) or repr(exc))
        if not cluster.get("brokers"):
            return Health(False, detail="metadata lists no broker")
        return Health(True, version=self._running_version())

    def _running_version(self) -> str | None:
        try:
            return (self.dir / "version").read_text().strip()
        except OSError:
            return None
