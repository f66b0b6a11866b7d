"""A real SMTP server on 127.0.0.1:52525 for the mail engine's tests: aiosmtpd (PyPI, in the
dev extra) run from our own venv, delivering every message it accepts into a Maildir.

Tests send through ``EMPORIUM_TEST_SMTP_URL`` and read what arrived in
``EMPORIUM_TEST_SMTP_MAILDIR`` (``mailbox.Maildir``). It accepts mail for any address and
relays nothing: a sink, not a mail server for anything else.
"""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService


class MailService(ManagedService):
    name = "mail"
    port = 52525
    start_timeout: ClassVar[float] = 20.0

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    @property
    def maildir(self) -> Path:
        return self.dir / "maildir"

    def install(self) -> None:
        """Nothing to install: aiosmtpd comes with the venv (``make setup``)."""

    def prepare(self) -> Launch:
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [str(self.ctx.python), "-m", "aiosmtpd", "--nosetuid",
                "--listen", f"{HOST}:{self.port}",
                "--class", "aiosmtpd.handlers.Mailbox", str(self.maildir)]  # fmt: skip
        return Launch(argv, cwd=self.dir)

    def health(self) -> Health:
        """An SMTP ``NOOP``: the server greets and answers 250."""
        try:
            with smtplib.SMTP(HOST, self.port, timeout=2) as client:
                code, _ = client.noop()
        except (smtplib.SMTPException, OSError) as exc:
            return Health(False, detail=str(exc) or type(exc).__name__)
        ok = code == 250
        return Health(ok, version="aiosmtpd", detail="" if ok else f"NOOP answered {code}")
