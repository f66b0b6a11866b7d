"""Forgotten passwords: a single-use token mailed to the account's address, then a new one.

``request_reset`` stores the token's hash and returns the mail to send; the caller sends it
with ``deliver`` once that transaction has committed (the API does so after answering, so
the answer is the same, and as quick, whether or not the account exists). ``confirm_reset``
sets the new password, uses up the token and signs every session out in one transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from commerce.adapters.mail import Mailer
from commerce.adapters.security import PasswordHasher, hash_reset_token, new_reset_token
from commerce.domain import events
from commerce.domain.errors import InvalidInput, InvalidResetToken, MailUnavailable
from commerce.domain.events import utcnow
from commerce.domain.users import normalize_email, validate_password
from commerce.service_layer.rate_limit import LoginRateLimiter
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

#: The answer to every reset request, whether or not the account exists.
ACCEPTED = "if an account with this email exists, a password reset link has been sent to it"


@dataclasses.dataclass(frozen=True)
class ResetConfig:
    """Where reset mails go out from and what their link opens.

    The link is ``<storefront_url>/reset-password#token=<token>``: the storefront's page
    asks for the new password and posts both to ``POST /auth/password-reset/confirm``. The
    token is in the fragment, which browsers never send: not to the storefront's server and
    its logs, nor in a ``Referer`` to whatever the page loads.
    """

    mailer: Mailer
    sender: str
    storefront_url: str
    ttl: timedelta = timedelta(minutes=30)

    def link(self, token: str) -> str:
        return f"{self.storefront_url.rstrip('/')}/reset-password#token={token}"


@dataclasses.dataclass(frozen=True)
class PendingMail:
    """A reset mail whose token is committed; ``deliver`` sends it."""

    token_hash: str
    message: EmailMessage


def _message(config: ResetConfig, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(body)
    return message


def reset_message(config: ResetConfig, to: str, token: str) -> EmailMessage:
    minutes = int(config.ttl.total_seconds() // 60)
    return _message(
        config, to, "Reset your password",
        "Someone (hopefully you) asked to reset the password of your account.\n\n"
        f"Open this link within {minutes} minutes to choose a new one:\n\n"
        f"{config.link(token)}\n\n"
        "The link works once. If you did not ask for it, ignore this mail: your password "
        "stays as it is.\n",
    )  # fmt: skip


def changed_message(config: ResetConfig, to: str) -> EmailMessage:
    """The notice that the account's password was just changed (or reset), so that an owner
    who did not do it learns of it and can take the account back with a reset link."""
    return _message(
        config, to, "Your password was changed",
        "The password of your account was just changed, and every session was signed "
        "out.\n\nIf that was you, there is nothing to do. If it was not, ask for a new "
        f"password at {config.storefront_url.rstrip('/')}/forgot-password: the link goes "
        "to this address only.\n",
    )  # fmt: skip


def notify_changed(config: ResetConfig, to: str) -> bool:
    """Send :func:`changed_message`, best effort: the change is already committed, so a
    mailer that fails is logged and False returned, never raised."""
    try:
        config.mailer.send(changed_message(config, to))
    except MailUnavailable as e:
        log.warning("password-changed notice not sent: %s", e.message)
        return False
    return True


def request_reset(
    uow: SqlAlchemyUnitOfWork,
    limiter: LoginRateLimiter,
    config: ResetConfig,
    email: str,
    address: str,
) -> PendingMail | None:
    """Store a new reset token for the account, replacing any earlier one, and return the
    mail carrying it; None (and nothing stored) for an unknown, disabled or password-less
    account.

    Raises
    ------
    RateLimited
        Too many requests for this email or from this address (counted for unknown emails
        too, so the limit tells nothing either).
    InvalidInput
        ``email`` is not an email address.
    """
    try:  # one counter per account, however its email is spelled
        account = normalize_email(email)
    except InvalidInput:
        limiter.password_reset(email.strip().lower(), address)
        raise
    limiter.password_reset(account, address)
    token, token_hash = new_reset_token()  # for every request: the same work either way
    now = utcnow()
    with uow:
        # Shared, first (as every write for an account): an erasure in flight ends before
        # and its placeholder email no longer matches, so no token outlives the account.
        user = uow.users.get_by_email(account, for_share=True)
        if user is None or not user.is_active or not user.password_hash or not user.email:
            return None
        uow.password_resets.replace(user.id, token_hash, now, now + config.ttl)
        uow.commit()
    return PendingMail(token_hash, reset_message(config, user.email, token))


def deliver(uow: SqlAlchemyUnitOfWork, mailer: Mailer, pending: PendingMail) -> bool:
    """Send a reset mail. When the mailer fails, its token is removed (nobody received it,
    so nothing usable is left behind) and False returned: the user simply asks again."""
    try:
        mailer.send(pending.message)
    except MailUnavailable as e:
        log.warning("password reset mail not sent, its token removed: %s", e.message)
        with uow:
            uow.password_resets.discard(pending.token_hash)
            uow.commit()
        return False
    return True


@dataclasses.dataclass(frozen=True)
class ResetConfirmation:
    token: str
    new_password: str
    request_id: str | None = None


def confirm_reset(
    uow: SqlAlchemyUnitOfWork, hasher: PasswordHasher, cmd: ResetConfirmation
) -> str | None:
    """Set the new password with a mailed token.

    In one transaction: the token is used up (a conditional update, so of two confirms with
    one token exactly one succeeds), the new hash stored, ``password_changed_at`` set (older
    access tokens are refused), every refresh token revoked and ``PasswordReset`` emitted.

    Returns
    -------
    str or None
        The account's email, for the changed-password notice (:func:`notify_changed`).

    Raises
    ------
    InvalidInput
        The new password breaks registration's rules (``details.field`` is ``new_password``).
    InvalidResetToken
        The token is unknown, expired, used, or replaced by a later request.
    """
    validate_password(cmd.new_password, field="new_password")
    token_hash = hash_reset_token(cmd.token)
    with uow:
        row = uow.password_resets.find_live(token_hash, utcnow())
    if row is None:  # checked first, so a garbage token costs no password hash
        raise _invalid()
    new_hash = hasher.hash(cmd.new_password)  # outside the transaction: it takes a while
    now = utcnow()
    with uow:
        # The user row first, then its tokens: the order login, refresh and a change take.
        user = uow.users.get(row.user_id, for_update=True)
        if user is None or not user.is_active or not uow.password_resets.use(token_hash, now):
            raise _invalid()
        uow.users.set_password(user.id, new_hash, now)
        revoked = uow.refresh_tokens.revoke_all(user.id, now)
        uow.emit(
            events.PasswordReset(
                user_id=user.id, request_id=cmd.request_id, sessions_revoked=revoked
            )
        )
        uow.commit()
    return user.email


def _invalid() -> InvalidResetToken:
    return InvalidResetToken(
        "this password reset link is invalid, used or expired; ask for a new one"
    )
