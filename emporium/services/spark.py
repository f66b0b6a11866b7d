"""A Spark standalone cluster on 127.0.0.1:57077: one master and one worker, from pyspark's jars.

The pip-installed pyspark carries Spark's jars and ``bin/spark-class``, which is all a
standalone cluster needs, so nothing is downloaded. The jobs run on it unchanged with
``EMPORIUM_SPARK__MASTER=spark://127.0.0.1:57077``: the driver stays in the calling process,
the executors (JVMs the worker starts, with Python workers for UDFs) run on the worker.
"""

from __future__ import annotations

import ctypes
import json
import shlex
import urllib.request
from pathlib import Path
from typing import ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService, java_env
from emporium.services.install import JavaHome

MASTER_UI_PORT = 58080
WORKER_UI_PORT = 58081
# What the worker offers executors. Two cores is the whole machine CI runs on; the driver and
# the other engines share them, which only makes tasks wait.
WORKER_CORES = 2
WORKER_MEMORY = "2g"
# Spark 4 needs Java 17 or later.
MIN_JAVA = 17


# Spark MLlib (ALS) calls BLAS through netlib, which loads this library and otherwise falls
# back to a pure-JVM BLAS, about 1.6x slower here per ALS iteration.
NATIVE_BLAS = "libblas.so.3"
BLAS_PACKAGES = ("libblas3", "liblapack3")


def native_blas() -> bool:
    """Whether Spark MLlib will find a native BLAS (``libblas.so.3``) on this machine."""
    try:
        ctypes.CDLL(NATIVE_BLAS)
    except OSError:
        return False
    return True


def spark_home() -> Path:
    """The pyspark package directory: Spark's jars and ``bin/spark-class`` live in it."""
    import pyspark

    return Path(pyspark.__file__).parent


class SparkClusterService(ManagedService):
    name = "spark"
    port = 57077
    extra_ports: ClassVar[tuple[int, ...]] = (MASTER_UI_PORT, WORKER_UI_PORT)
    start_timeout: ClassVar[float] = 90.0
    _java: JavaHome | None = None

    @property
    def url(self) -> str:
        return f"spark://{HOST}:{self.port}"

    def install(self) -> None:
        self._java = self.ctx.installer.java(self.name, MIN_JAVA, need_javac=False)
        if not native_blas():
            self.ctx.installer.apt_install(self.name, BLAS_PACKAGES, missing=NATIVE_BLAS)

    def launch_script(self) -> str:
        """Master and worker side by side in one process group; when either exits, the
        group goes too, so a half-up cluster never looks running."""
        spark_class = shlex.quote(str(spark_home() / "bin" / "spark-class"))
        master = (
            f"{spark_class} org.apache.spark.deploy.master.Master --host {HOST} "
            f"--port {self.port} --webui-port {MASTER_UI_PORT}"
        )
        worker = (
            f"{spark_class} org.apache.spark.deploy.worker.Worker --host {HOST} "
            f"--webui-port {WORKER_UI_PORT} --cores {WORKER_CORES} --memory {WORKER_MEMORY} "
            f"--work-dir {shlex.quote(str(self.dir / 'work'))} {self.url}"
        )
        return f"{master} & {worker} & wait -n; kill 0"

    def prepare(self) -> Launch:
        assert self._java is not None, "install() first"
        (self.dir / "work").mkdir(parents=True, exist_ok=True)
        env = java_env(self._java.home)
        env.update(
            SPARK_HOME=str(spark_home()),
            SPARK_LOCAL_IP=HOST,
            SPARK_LOG_DIR=str(self.dir),
            # Executors leave a directory per application; old ones are swept after a day.
            SPARK_WORKER_OPTS="-Dspark.worker.cleanup.enabled=true "
            "-Dspark.worker.cleanup.appDataTtl=86400",
        )
        return Launch(["bash", "-c", self.launch_script()], env=env, cwd=self.dir)

    def health(self) -> Health:
        """Healthy when the master is ALIVE and a worker has registered with it."""
        try:
            with urllib.request.urlopen(
                f"http://{HOST}:{MASTER_UI_PORT}/json/", timeout=3
            ) as response:
                state = json.loads(response.read())
        except (OSError, ValueError) as exc:
            return Health(False, detail=str(exc) or repr(exc))
        if state.get("status") != "ALIVE":
            return Health(False, detail=f"master status {state.get('status')!r}")
        if int(state.get("aliveworkers", 0)) < 1:
            return Health(False, detail="the master answers, but no worker has registered")
        import pyspark

        return Health(True, version=pyspark.__version__)
