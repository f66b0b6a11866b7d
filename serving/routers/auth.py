"""Accounts: register, login, refresh, logout, change or reset the password, ``GET /me``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Request, Response

from commerce.domain.errors import UserNotFound
from commerce.domain.users import User
from commerce.service_layer import auth, cart, password_reset
from serving.routers.deps import (
    Account,
    Claims,
    auth_config,
    login_limiter,
    new_uow,
    request_id,
    reset_config,
    reset_config_if_any,
)
from serving.schemas.auth import (
    Credentials,
    PasswordChangeRequest,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    TokenResponse,
    UserPublic,
)

router = APIRouter(tags=["auth"])


def _public(user: User) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, role=user.role, created_at=user.created_at)


def _tokens(pair: auth.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/register", status_code=201, response_model=UserPublic)
def register(body: Credentials, request: Request) -> UserPublic:
    """Create a customer account (the password is stored as an argon2id hash). Rate
    limited per client address."""
    login_limiter(request).registration(_address(request))
    hasher = auth_config(request).hasher
    user = auth.register(
        new_uow(request), hasher, body.email, body.password, request_id=request_id(request)
    )
    return _public(user)


@router.post("/auth/login", response_model=TokenResponse)
def login(
    body: Credentials,
    request: Request,
    cart_token: Annotated[str | None, Header(alias="X-Cart-Token", max_length=256)] = None,
) -> TokenResponse:
    """A short-lived access token and a rotating refresh token. Rate limited.

    With ``X-Cart-Token``, that anonymous cart is merged into the user's cart.
    """
    pair = auth.login(
        new_uow(request),
        auth_config(request),
        login_limiter(request),
        (body.email, body.password),
        _address(request),
    )
    if cart_token:
        cart.merge_anonymous(new_uow(request), cart_token, pair.user_id)
    return _tokens(pair)


@router.post("/auth/refresh", response_model=TokenResponse)
def refresh(body: RefreshRequest, request: Request) -> TokenResponse:
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    return _tokens(auth.refresh(new_uow(request), auth_config(request), body.refresh_token))


@router.post("/auth/logout", status_code=204)
def logout(body: RefreshRequest, request: Request) -> Response:
    """Revoke the session the refresh token belongs to."""
    auth.logout(new_uow(request), body.refresh_token)
    return Response(status_code=204)


def _notify_changed(request: Request, background: BackgroundTasks, to: str | None) -> None:
    """Mail the account that its password changed, after the answer (best effort: the
    change is committed, a mail server that fails only costs the notice; no mailer, none)."""
    config = reset_config_if_any(request)
    if config is not None and to:
        background.add_task(password_reset.notify_changed, config, to)


@router.post("/auth/password", response_model=TokenResponse)
def change_password(
    body: PasswordChangeRequest, account: Account, request: Request, background: BackgroundTasks
) -> TokenResponse:
    """Change the password: every session is signed out (refresh tokens revoked, access
    tokens issued before the change refused) and the caller gets a fresh pair. The account
    is mailed a notice of the change.

    Wrong ``current_password``: 401 ``invalid_credentials``, counted against the same
    limit as login (429 ``rate_limited``). A new password breaking the rules: 422
    ``invalid_input``; equal to the current one: 422 ``password_unchanged``.
    """
    claims, user = account
    cmd = auth.PasswordChange(
        claims.user_id, body.current_password, body.new_password, _address(request),
        request_id(request),
    )  # fmt: skip
    pair = auth.change_password(new_uow(request), auth_config(request), login_limiter(request),
                                cmd)  # fmt: skip
    _notify_changed(request, background, user.email)  # a password change keeps the email
    return _tokens(pair)


@router.post("/auth/password-reset", status_code=202, response_model=PasswordResetAccepted)
def request_password_reset(
    body: PasswordResetRequest, request: Request, background: BackgroundTasks
) -> PasswordResetAccepted:
    """Mail a single-use reset link to the account, if there is one: 202 with the same body
    either way. The mail goes out after the answer (so it is as quick for any email); if it
    cannot be sent, its token is removed and the user asks again. Rate limited per email and
    per client address (429 ``rate_limited``); a malformed email is 422 ``invalid_input``.
    """
    config = reset_config(request)
    pending = password_reset.request_reset(
        new_uow(request), login_limiter(request), config, body.email, _address(request)
    )
    if pending is not None:
        background.add_task(password_reset.deliver, new_uow(request), config.mailer, pending)
    return PasswordResetAccepted(message=password_reset.ACCEPTED)


@router.post("/auth/password-reset/confirm", status_code=204)
def confirm_password_reset(
    body: PasswordResetConfirm, request: Request, background: BackgroundTasks
) -> Response:
    """Set a new password with the mailed token: 204, and every session is signed out (log
    in with the new password); the account is mailed a notice of the change. An unknown,
    expired, used or replaced token: 400 ``invalid_reset_token``; a new password breaking
    the rules: 422 ``invalid_input``.
    """
    cmd = password_reset.ResetConfirmation(body.token, body.new_password, request_id(request))
    to = password_reset.confirm_reset(new_uow(request), auth_config(request).hasher, cmd)
    _notify_changed(request, background, to)
    return Response(status_code=204)


@router.get("/me", response_model=UserPublic)
def me(claims: Claims, request: Request) -> UserPublic:
    with new_uow(request) as uow:
        user = uow.users.get(claims.user_id)
    if user is None or not user.is_active:
        raise UserNotFound("the account no longer exists")
    return _public(user)
