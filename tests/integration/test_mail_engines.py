"""The mail engines: the real SMTP server `emporium services up` starts (aiosmtpd, delivering
into a Maildir) and the embedded .eml files."""

from __future__ import annotations

import email
import mailbox
import socket
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from commerce.adapters.mail import FileMailer, SmtpMailer, mailer_from_url
from commerce.domain.errors import MailUnavailable


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Reset your password"
    message["From"] = "shop <no-reply@shop.example>"
    message["To"] = to
    message.set_content("Open https://shop.example/reset-password?token=abc within 30 minutes.\n")
    return message


def _delivered(maildir: Path, to: str) -> list[email.message.Message]:
    box = mailbox.Maildir(maildir, create=False)
    return [m for m in box if m["To"] == to]


@pytest.mark.smtp
def test_smtp_mailer_delivers_into_the_servers_maildir(smtp_url: str, smtp_maildir: Path) -> None:
    to = f"u{uuid.uuid4().hex[:10]}@example.com"
    mailer = mailer_from_url(smtp_url, timeout_s=5)
    assert mailer.health()["healthy"] is True
    mailer.send(_message(to))
    (arrived,) = _delivered(smtp_maildir, to)
    assert arrived["Subject"] == "Reset your password"
    assert arrived["From"] == "shop <no-reply@shop.example>"
    body = arrived.get_payload(decode=True)
    assert isinstance(body, bytes) and b"reset-password?token=abc" in body


@pytest.mark.smtp
def test_smtp_mailer_maps_a_closed_port_and_a_wrong_protocol_to_mail_unavailable(
    smtp_url: str,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    mailer = SmtpMailer("127.0.0.1", closed, timeout_s=2)
    with pytest.raises(MailUnavailable) as caught:
        mailer.send(_message("x@example.com"))
    assert caught.value.code == "mail_unavailable"
    assert mailer.health()["healthy"] is False
    # smtps:// against a plain SMTP server: the TLS handshake fails, within the timeout
    tls_url = smtp_url.replace("smtp://", "smtps://")
    with pytest.raises(MailUnavailable):
        mailer_from_url(tls_url, timeout_s=2).send(_message("x@example.com"))


def test_file_mailer_writes_whole_eml_files(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path / "mail")
    assert mailer.health()["healthy"] is True
    for n in range(3):
        mailer.send(_message(f"u{n}@example.com"))
    files = sorted((tmp_path / "mail").iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" for f in files)  # no temp file left
    parsed = {email.message_from_bytes(f.read_bytes())["To"] for f in files}
    assert parsed == {"u0@example.com", "u1@example.com", "u2@example.com"}


def test_file_mailer_that_cannot_write_raises_mail_unavailable(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    mailer = FileMailer(blocked)
    assert mailer.health()["healthy"] is False
    with pytest.raises(MailUnavailable):
        mailer.send(_message("x@example.com"))
