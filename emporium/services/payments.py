"""The payments sandbox: emporium's own HTTPS payment service on 127.0.0.1:58443.

It generates its CA and certificate in its directory on first start; the platform verifies
the sandbox's TLS against that CA (``EMPORIUM_PAYMENTS__CA_FILE``).
"""

from __future__ import annotations

import ssl
import urllib.request
from pathlib import Path
from typing import ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService


class PaymentsSandboxService(ManagedService):
    name = "payments"
    port = 58443
    start_timeout: ClassVar[float] = 60.0

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.pem"

    def install(self) -> None:
        """Nothing to install: the sandbox is part of the emporium package."""

    def prepare(self) -> Launch:
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [str(self.ctx.python), "-m", "commerce.adapters.payments.sandbox_server",
                "--host", HOST, "--port", str(self.port), "--state-dir", str(self.dir)]  # fmt: skip
        return Launch(argv, cwd=self.dir)

    def health(self) -> Health:
        if not self.ca_file.is_file():
            return Health(False, detail=f"no CA yet at {self.ca_file}")
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            health_url = f"{self.url}/health"  # always https on loopback
            with urllib.request.urlopen(health_url, timeout=2, context=context) as r:  # noqa: S310
                ok = r.status == 200
        except OSError as exc:
            return Health(False, detail=str(exc))
        return Health(ok, version="sandbox", detail="" if ok else "health check failed")
