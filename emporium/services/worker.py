"""``emporium worker`` against the real engines: relays the outbox to Kafka, expires
reservations and reconciles payments with the sandbox. It listens on no port."""

from __future__ import annotations

import os
from typing import ClassVar

from emporium.services.base import Health, Launch, ManagedService
from emporium.services.kafka import KafkaService
from emporium.services.payments import PaymentsSandboxService
from emporium.services.postgres import PostgresService


class WorkerService(ManagedService):
    name = "worker"
    port = 0  # none: the worker only makes outgoing connections
    depends_on: ClassVar[tuple[str, ...]] = ("postgres", "kafka", "payments")
    start_timeout: ClassVar[float] = 60.0

    @property
    def url(self) -> str:
        return "process://emporium-worker"

    def install(self) -> None:
        """Nothing to install: the worker is part of the emporium package."""

    def check_ports(self) -> None:
        """No port of its own to check."""

    def prepare(self) -> Launch:
        self.dir.mkdir(parents=True, exist_ok=True)
        payments = PaymentsSandboxService(self.ctx)
        env = {
            **os.environ,
            "EMPORIUM_STATE_DIR": str(self.dir),
            "EMPORIUM_DATABASE__URL": PostgresService(self.ctx).url,
            "EMPORIUM_EVENTS__URL": KafkaService(self.ctx).url,
            "EMPORIUM_PAYMENTS__URL": payments.url,
            "EMPORIUM_PAYMENTS__CA_FILE": str(payments.ca_file),
        }
        return Launch([str(self.ctx.python), "-m", "emporium.cli", "worker"], env=env, cwd=self.dir)

    def health(self) -> Health:
        alive = self.running_group() is not None
        return Health(alive, version=None, detail="" if alive else "not running")
