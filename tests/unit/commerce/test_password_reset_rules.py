"""Password-reset rules without I/O: mail URLs, the reset mail, the request limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from commerce.adapters.cache import InProcessCache
from commerce.adapters.mail import FileMailer, SmtpMailer, mailer_from_url
from commerce.domain.errors import RateLimited
from commerce.service_layer.password_reset import ResetConfig, reset_message
from commerce.service_layer.rate_limit import LoginRateLimiter


def test_mail_urls_pick_the_engine_security_port_and_login() -> None:
    assert isinstance(mailer_from_url("file:///var/mail/out"), FileMailer)
    plain = mailer_from_url("smtp://127.0.0.1:52525")
    assert isinstance(plain, SmtpMailer)
    assert (plain.host, plain.port, plain.security, plain.credentials) == (
        "127.0.0.1", 52525, "none", None,
    )  # fmt: skip
    tls = mailer_from_url("smtp://me%40shop:p%3Ass@mx.example?starttls=true", timeout_s=3)
    assert isinstance(tls, SmtpMailer)
    assert (tls.port, tls.security, tls.credentials, tls.timeout_s) == (
        587, "starttls", ("me@shop", "p:ss"), 3,
    )  # fmt: skip
    ssl = mailer_from_url("smtps://mx.example")
    assert isinstance(ssl, SmtpMailer) and (ssl.port, ssl.security) == (465, "ssl")


@pytest.mark.parametrize(
    "url", ["file://relative/dir", "file:mail", "smtp://", "mailto:x@example.com", "redis://h"]
)
def test_unusable_mail_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        mailer_from_url(url)


def test_the_reset_mail_links_the_storefront_and_states_the_expiry() -> None:
    config = ResetConfig(
        FileMailer(Path("/unused")), "shop <no-reply@shop.example>", "https://shop.example/",
        timedelta(minutes=45),
    )  # fmt: skip
    message = reset_message(config, "ann@example.com", "tok_EN-1")
    assert message["To"] == "ann@example.com" and message["From"] == config.sender
    assert message["Message-ID"].endswith("@shop.example>")
    body = message.get_content()
    assert "https://shop.example/reset-password#token=tok_EN-1" in body and "45 minutes" in body


def test_reset_requests_count_per_email_and_address_apart_from_login() -> None:
    limiter = LoginRateLimiter(InProcessCache(), per_account=3, resets=(2, 3))
    limiter.password_reset("ann@example.com", "10.0.0.1")
    limiter.password_reset("ann@example.com", "10.0.0.2")
    with pytest.raises(RateLimited):
        limiter.password_reset("ann@example.com", "10.0.0.3")
    limiter.hit("ann@example.com", "10.0.0.1")  # logging in is not locked out by resets
    limiter.password_reset("bob@example.com", "10.0.0.9")
    limiter.password_reset("cy@example.com", "10.0.0.9")
    limiter.password_reset("di@example.com", "10.0.0.9")
    with pytest.raises(RateLimited):  # the fourth from one address, whatever the email
        limiter.password_reset("ed@example.com", "10.0.0.9")
