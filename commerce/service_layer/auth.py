"""Use cases of accounts: register, create an admin, login, refresh, logout, change password."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta

from commerce.adapters.orm import as_utc
from commerce.adapters.security import (
    JwtTokens,
    PasswordHasher,
    hash_refresh_token,
    new_refresh_token,
)
from commerce.domain import events
from commerce.domain.errors import AuthenticationFailed, EmailTaken, InvalidInput, InvalidToken
from commerce.domain.events import utcnow
from commerce.domain.users import (
    ADMIN,
    CUSTOMER,
    User,
    new_user_id,
    normalize_email,
    password_stamp,
    validate_new_password,
    validate_password,
)
from commerce.service_layer.rate_limit import LoginRateLimiter
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


@dataclasses.dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: str


@dataclasses.dataclass(frozen=True)
class AuthConfig:
    tokens: JwtTokens
    hasher: PasswordHasher
    refresh_days: int = 14


def register(
    uow: SqlAlchemyUnitOfWork,
    hasher: PasswordHasher,
    email: str,
    password: str,
    role: str = CUSTOMER,
    request_id: str | None = None,
) -> User:
    validate_password(password)
    user = User(new_user_id(), normalize_email(email), hasher.hash(password), role=role)
    with uow:
        if uow.users.get_by_email(user.email or "") is not None:
            raise EmailTaken("an account with this email exists", {"field": "email"})
        uow.users.add(user)
        uow.emit(events.UserRegistered(user_id=user.id, request_id=request_id, role=role))
        uow.commit()
    return user


def create_admin(uow: SqlAlchemyUnitOfWork, hasher: PasswordHasher, email: str, pw: str) -> User:
    """The command line's ``users create-admin``."""
    return register(uow, hasher, email, pw, role=ADMIN)


def login(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthConfig,
    limiter: LoginRateLimiter,
    credentials: tuple[str, str],
    address: str,
) -> TokenPair:
    email, password = credentials
    try:  # one counter per account, however its email is spelled
        account = normalize_email(email)
    except InvalidInput:
        account = email.strip().lower()
    limiter.hit(account, address)
    with uow:
        # Shared lock: a password change waits for this login, then revokes its session.
        user = uow.users.get_by_email(normalize_email(email), for_share=True)
        if user is None or not user.password_hash or not user.is_active:
            auth.hasher.dummy_verify()
            raise AuthenticationFailed("email or password is wrong")
        if not auth.hasher.verify(user.password_hash, password):
            raise AuthenticationFailed("email or password is wrong")
        pair = _issue(uow, auth, user, family_id=str(uuid.uuid4()))
        uow.commit()
    return pair


def refresh(uow: SqlAlchemyUnitOfWork, auth: AuthConfig, refresh_token: str) -> TokenPair:
    """Rotate: the presented token dies and a new one is issued in the same family.

    Presenting an already-rotated token means it leaked: the whole family is revoked.
    The user row is share-locked before the token (the order a password change takes them
    in), so a rotation racing a change either ends first and is revoked by it, or waits and
    finds its token revoked.
    """
    token_hash = hash_refresh_token(refresh_token)
    now = utcnow()
    with uow:
        row = uow.refresh_tokens.find(token_hash)
        if row is None:
            raise InvalidToken("refresh token is not valid")
        user = uow.users.get(row.user_id, for_share=True)
        if not uow.refresh_tokens.revoke(token_hash, now):
            uow.refresh_tokens.revoke_family(row.family_id, now)
            uow.commit()
            raise InvalidToken("refresh token was already used; the session is revoked")
        if _expired(row.expires_at, now) or user is None or not user.is_active:
            uow.commit()
            raise InvalidToken("refresh token is not valid")
        pair = _issue(uow, auth, user, family_id=row.family_id)
        uow.commit()
    return pair


def logout(uow: SqlAlchemyUnitOfWork, refresh_token: str) -> None:
    """Revoke the session (the token's whole family). Unknown tokens are silently ignored."""
    with uow:
        row = uow.refresh_tokens.find(hash_refresh_token(refresh_token))
        if row is not None:
            uow.refresh_tokens.revoke_family(row.family_id, utcnow())
            uow.commit()


@dataclasses.dataclass(frozen=True)
class PasswordChange:
    user_id: str
    current_password: str
    new_password: str
    address: str
    request_id: str | None = None


def change_password(
    uow: SqlAlchemyUnitOfWork, auth: AuthConfig, limiter: LoginRateLimiter, cmd: PasswordChange
) -> TokenPair:
    """Check the current password, store the new one's hash, sign out every session and
    return a fresh pair (a new session for the caller), all in one transaction.

    The current password is checked by :func:`reauthenticate` (counted with login's
    guesses). Both hashes are computed outside the transaction; the update then applies only
    if the stored hash is still the one checked, so of two changes from the same current
    password exactly one succeeds.

    Raises
    ------
    InvalidInput, PasswordUnchanged
        The new password breaks the rules, or is the current one.
    RateLimited
        Too many attempts for the account or the client address.
    AuthenticationFailed
        The current password is wrong (or was changed meanwhile).
    """
    validate_new_password(cmd.current_password, cmd.new_password)
    user = reauthenticate(uow, auth, limiter, (cmd.user_id, cmd.current_password), cmd.address)
    old_hash = user.password_hash or ""
    return _store_new_password(uow, auth, user, old_hash, auth.hasher.hash(cmd.new_password), cmd)


def reauthenticate(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthConfig,
    limiter: LoginRateLimiter,
    credentials: tuple[str, str],
    address: str,
) -> User:
    """Check a signed-in user's current password (``credentials`` is user id and password)
    before a sensitive change; returns the user, whose ``password_hash`` was checked.

    Each attempt counts against the account's login limit before the password is checked,
    so this cannot be used to guess passwords faster than login. The hash is verified
    outside any transaction: the caller's write must then check it is still the stored one.

    Raises
    ------
    InvalidToken
        The account no longer exists or is disabled.
    RateLimited
        Too many attempts for the account or the client address.
    AuthenticationFailed
        The password is wrong (``details.field`` is ``current_password``).
    """
    user_id, password = credentials
    with uow:
        user = uow.users.get(user_id)
    if user is None or not user.is_active:
        raise InvalidToken("the account behind this token does not exist or is disabled")
    limiter.hit(user.email or user.id, address)  # the counter login uses
    if not user.password_hash:
        auth.hasher.dummy_verify()
        raise AuthenticationFailed("the current password is wrong", {"field": "current_password"})
    if not auth.hasher.verify(user.password_hash, password):
        raise AuthenticationFailed("the current password is wrong", {"field": "current_password"})
    return user


def _store_new_password(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthConfig,
    user: User,
    old_hash: str,
    new_hash: str,
    cmd: PasswordChange,
) -> TokenPair:
    now = utcnow()
    with uow:
        # Locks the user row first (then its tokens): the order login and refresh take.
        if not uow.users.replace_password(user.id, old_hash, new_hash, now):
            raise AuthenticationFailed(
                "the current password is wrong", {"field": "current_password"}
            )
        revoked = uow.refresh_tokens.revoke_all(user.id, now)
        uow.password_resets.revoke_for_user(user.id, now)  # a mailed link must not undo it
        changed = dataclasses.replace(user, password_changed_at=now)  # as stored just now
        pair = _issue(uow, auth, changed, family_id=str(uuid.uuid4()))
        uow.emit(
            events.PasswordChanged(
                user_id=user.id, request_id=cmd.request_id, sessions_revoked=revoked
            )
        )
        uow.commit()
    return pair


def _issue(uow: SqlAlchemyUnitOfWork, auth: AuthConfig, user: User, family_id: str) -> TokenPair:
    token, token_hash = new_refresh_token()
    expires = utcnow() + timedelta(days=auth.refresh_days)
    uow.refresh_tokens.add(user.id, token_hash, family_id, expires)
    access = auth.tokens.issue(user.id, user.role, password_stamp(user.password_changed_at))
    seconds = int(auth.tokens.lifetime.total_seconds())
    return TokenPair(access, token, seconds, user.id)


def _expired(expires_at: datetime, now: datetime) -> bool:
    return as_utc(expires_at) <= now
