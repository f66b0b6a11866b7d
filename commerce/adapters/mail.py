"""Outgoing mail: the ``Mailer`` port, ``.eml`` files by default, SMTP for real.

``mailer_from_url`` is the one place a URL picks the engine:

- ``file:///abs/dir``: each message written as an RFC 5322 ``.eml`` file into ``dir`` (the
  embedded default; read the mail with any mail client or a text editor);
- ``smtp://[user:password@]host[:port][?starttls=true]``: SMTP, STARTTLS when asked for;
- ``smtps://[user:password@]host[:port]``: SMTP over TLS from the first byte.

Every failure to deliver raises ``MailUnavailable`` (code ``mail_unavailable``).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from commerce.domain.errors import MailUnavailable

DEFAULT_TIMEOUT_S = 10.0
_TRUE = {"1", "true", "yes", "on"}


class Mailer(Protocol):
    """Delivers one message, or raises ``MailUnavailable``."""

    def send(self, message: EmailMessage) -> None: ...

    def health(self) -> dict[str, object]: ...


class FileMailer:
    """Writes each message as ``<unique>.eml`` into ``directory`` (created on first use).

    The file is written under a temporary name and renamed, so a reader never sees half a
    message.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        name = f"{uuid.uuid4().hex}.eml"
        temp = self.directory / f".{name}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as out:
                out.write(message.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.directory / name)
        except OSError as e:
            with contextlib.suppress(OSError):  # a directory that is not one has no temp file
                temp.unlink(missing_ok=True)
            raise MailUnavailable(f"cannot write mail into {self.directory}: {e}") from e

    def health(self) -> dict[str, object]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return {"healthy": False, "engine": "file", "error": str(e)}
        writable = os.access(self.directory, os.W_OK)
        return {"healthy": writable, "engine": "file"} | (
            {} if writable else {"error": f"{self.directory} is not writable"}
        )


class SmtpMailer:
    """One SMTP connection per message (reset mails are rare; nothing to keep alive).

    ``security`` is ``"none"``, ``"starttls"`` or ``"ssl"``; TLS certificates are verified
    against the system's CAs. Every network step is bounded by ``timeout_s``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "none",
        credentials: tuple[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.security = host, port, security
        self.credentials, self.timeout_s = credentials, timeout_s
        self.tls = tls or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=self.tls)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            if self.security == "starttls":
                client.starttls(context=self.tls)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as client:
                if self.credentials is not None:
                    client.login(*self.credentials)
                refused = client.send_message(message)
        except (smtplib.SMTPException, OSError) as e:  # socket.timeout is an OSError
            raise MailUnavailable(f"the mail server did not take the message: {_reason(e)}") from e
        if refused:  # some recipients accepted, some not: ours has one, so say which
            raise MailUnavailable(f"the mail server refused {', '.join(refused)}")

    def health(self) -> dict[str, object]:
        try:
            with self._connect() as client:
                code, _ = client.noop()
        except (smtplib.SMTPException, OSError) as e:
            return {"healthy": False, "engine": "smtp", "error": _reason(e)}
        return {"healthy": code == 250, "engine": "smtp"}


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "no answer in time"
    return str(error) or type(error).__name__


def mailer_from_url(url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Mailer:
    """The mailer a URL names (see the module's docstring).

    Raises
    ------
    ValueError
        An unknown scheme, a relative ``file`` path or an SMTP URL without a host.
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
        if parts.netloc or not path.is_absolute():
            raise ValueError(f"a file mail URL needs an absolute path (file:///dir): {url!r}")
        return FileMailer(path)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"unknown mail URL scheme {parts.scheme!r} (file, smtp or smtps)")
    if not parts.hostname:
        raise ValueError("an SMTP mail URL needs a host")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["false"])[-1].lower() in _TRUE
    security = "ssl" if parts.scheme == "smtps" else "starttls" if starttls else "none"
    port = parts.port or (465 if security == "ssl" else 587 if starttls else 25)
    credentials = None
    if parts.username is not None:
        credentials = (unquote(parts.username), unquote(parts.password or ""))
    return SmtpMailer(
        parts.hostname, port, security=security, credentials=credentials, timeout_s=timeout_s
    )
