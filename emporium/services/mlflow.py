"""The MLflow tracking server on 127.0.0.1:55000, backed by the PostgreSQL ``mlflow`` db."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService
from emporium.services.errors import MissingBinaryError
from emporium.services.postgres import PostgresService, sql_url

# One worker: each imports all of MLflow, which costs a core for a minute on 2 cores.
WORKERS = 1


class MlflowService(ManagedService):
    name = "mlflow"
    port = 55000
    depends_on: ClassVar[tuple[str, ...]] = ("postgres",)
    # The first start runs MLflow's schema migrations against PostgreSQL.
    start_timeout: ClassVar[float] = 180.0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def artifacts_dir(self) -> Path:
        return self.ctx.state_dir / "mlflow-artifacts"

    @property
    def executable(self) -> Path:
        return self.ctx.python.parent / "mlflow"

    def install(self) -> None:
        if not self.executable.exists():
            raise MissingBinaryError(
                self.name,
                f"{self.executable} not found; install the project's Python "
                "dependencies (mlflow is in requirements.lock)",
            )

    def launch_argv(self) -> list[str]:
        backend = sql_url("mlflow", PostgresService.port)
        hosts = f"{HOST},{HOST}:{self.port},localhost,localhost:{self.port}"
        return [
            str(self.executable),
            "server",
            "--backend-store-uri",
            backend,
            "--serve-artifacts",
            "--artifacts-destination",
            str(self.artifacts_dir),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(WORKERS),
            "--allowed-hosts",
            hosts,
        ]

    def prepare(self) -> Launch:
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        # Job execution (GenAI judges, prompt optimisation) spawns seven huey consumers;
        # tracking and the model registry do not need them.
        env = {
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        return Launch(self.launch_argv(), env=env, cwd=self.dir)

    def health(self) -> Health:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=3) as response:  # noqa: S310
                body = response.read().decode().strip()
            with urllib.request.urlopen(self.url + "/version", timeout=3) as response:  # noqa: S310
                version = response.read().decode().strip()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return Health(False, detail=str(exc) or repr(exc))
        return Health(body == "OK", version=f"MLflow {version}", detail=f"/health said {body!r}")
