"""Redis from Debian on 127.0.0.1:56379: our own config and directory, no persistence."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService


class RedisService(ManagedService):
    name = "redis"
    port = 56379
    start_timeout: ClassVar[float] = 20.0

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def config_file(self) -> Path:
        return self.dir / "redis.conf"

    def install(self) -> None:
        self.ctx.installer.ensure_apt(self.name, ["redis-server"], "redis-server")

    def config(self) -> str:
        """The server config: loopback only, nothing saved to disk (test data is throwaway)."""
        return "\n".join(
            [
                f"bind {HOST}",
                f"port {self.port}",
                "protected-mode yes",
                "daemonize no",
                'save ""',
                "appendonly no",
                f"dir {self.dir}",
                'logfile ""',
                "databases 16",
                "",
            ]
        )

    def prepare(self) -> Launch:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self.config())
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        return Launch([binary, str(self.config_file)], cwd=self.dir)

    def health(self) -> Health:
        import redis

        try:
            client = redis.Redis(
                host=HOST, port=self.port, socket_timeout=2, socket_connect_timeout=2
            )
            info = client.info("server")
            client.close()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return Health(False, detail=str(exc) or repr(exc))
        return Health(True, version=str(info.get("redis_version")))
