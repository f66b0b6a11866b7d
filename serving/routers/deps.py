"""Dependencies shared by the commerce routers: unit of work, tokens, the current user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commerce.adapters.security import AccessClaims, JwtTokens, PasswordHasher
from commerce.domain.errors import (
    InvalidToken,
    MailUnavailable,
    PaymentsUnavailable,
    PermissionDenied,
)
from commerce.domain.payments import PaymentProvider
from commerce.domain.pricing import PricingRules
from commerce.domain.users import User, issued_before_password_change
from commerce.service_layer.auth import AuthConfig
from commerce.service_layer.password_reset import ResetConfig
from commerce.service_layer.rate_limit import ExportRateLimiter, LoginRateLimiter
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from serving.container import AppContainer

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /auth/login")
_HASHER = PasswordHasher()


def container(request: Request) -> AppContainer:
    result: AppContainer = request.app.state.container
    return result


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def new_uow(request: Request) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(container(request).session_factory)


def auth_config(request: Request) -> AuthConfig:
    state = request.app.state
    if not hasattr(state, "commerce_auth"):
        c = container(request)
        tokens = JwtTokens(c.jwt_secret, c.jwt_issuer, c.jwt_audience, c.access_token_minutes)
        state.commerce_auth = AuthConfig(tokens, _HASHER, c.refresh_token_days)
    result: AuthConfig = state.commerce_auth
    return result


def _part(request: Request, name: str) -> Any:
    """The container's attribute ``name``, else its ``extras`` entry, else None (a test
    container may carry a part in either place)."""
    c = container(request)
    found = getattr(c, name, None)
    return found if found is not None else getattr(c, "extras", {}).get(name)


def payment_provider(request: Request) -> PaymentProvider:
    """The container's provider (``payment_provider`` attribute or ``extras`` entry)."""
    provider = _part(request, "payment_provider")
    if provider is None:
        raise PaymentsUnavailable("no payment provider is configured")
    result: PaymentProvider = provider
    return result


def reset_config_if_any(request: Request) -> ResetConfig | None:
    """The container's password-reset mail set-up (``password_reset`` attribute or
    ``extras`` entry, as the payment provider is found), or None without a mailer."""
    config: ResetConfig | None = _part(request, "password_reset")
    return config


def reset_config(request: Request) -> ResetConfig:
    """:func:`reset_config_if_any`, required.

    Raises
    ------
    MailUnavailable
        No mailer is configured.
    """
    config = reset_config_if_any(request)
    if config is None:
        raise MailUnavailable("no mailer is configured")
    return config


def pricing_rules(request: Request) -> PricingRules:
    """The shop's tax, shipping and currency rules (the defaults unless the container has
    its own)."""
    rules = getattr(container(request), "pricing_rules", None)
    return rules if isinstance(rules, PricingRules) else PricingRules()


def login_limiter(request: Request) -> LoginRateLimiter:
    """Login's, registration's and password reset's counters, with the container's
    ``login_limits`` (attribute or ``extras`` entry), else the limiter's defaults."""
    limits = _part(request, "login_limits") or {}
    return LoginRateLimiter(container(request).cache, **limits)


def export_limiter(request: Request) -> ExportRateLimiter:
    """Exports per account per hour: the container's ``exports_per_hour`` (attribute or
    ``extras`` entry), else the limiter's default."""
    per_hour = _part(request, "exports_per_hour")
    cache = container(request).cache
    if per_hour is None:
        return ExportRateLimiter(cache)
    return ExportRateLimiter(cache, per_account=int(per_hour))


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _account(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> tuple[AccessClaims, User]:
    """The token's claims and its account, read once per request. A valid signature is not
    enough: the account must still exist and be active (a disabled account's tokens stop
    working now, not when they expire), and the token must not predate the account's last
    password change (the change signs every session out, access tokens included)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidToken("an access token is required")
    claims = auth_config(request).tokens.verify(credentials.credentials)
    with new_uow(request) as uow:
        user = uow.users.get(claims.user_id)
    if user is None or not user.is_active:
        raise InvalidToken("the account behind this token does not exist or is disabled")
    if issued_before_password_change(
        claims.issued_at, user.password_changed_at, claims.password_stamp
    ):
        raise InvalidToken("the password was changed since this token was issued; log in again")
    return claims, user


def current_claims(request: Request, credentials: Credentials) -> AccessClaims:
    return _account(request, credentials)[0]


def current_account(request: Request, credentials: Credentials) -> tuple[AccessClaims, User]:
    """The token's claims and its account as :func:`current_claims` read them, for a route
    that needs the account too (one read of the user row per request)."""
    return _account(request, credentials)


def optional_claims(request: Request, credentials: Credentials) -> AccessClaims | None:
    if credentials is None:
        return None
    return current_claims(request, credentials)


def admin_claims(request: Request, credentials: Credentials) -> AccessClaims:
    """The token says admin *and* the account still is one (a demotion takes effect now)."""
    claims, user = _account(request, credentials)
    if not user.is_admin:
        raise PermissionDenied("administrators only")
    return claims


Claims = Annotated[AccessClaims, Depends(current_claims)]
Account = Annotated[tuple[AccessClaims, User], Depends(current_account)]
MaybeClaims = Annotated[AccessClaims | None, Depends(optional_claims)]
AdminClaims = Annotated[AccessClaims, Depends(admin_claims)]
