"""Password hashing (argon2id), JWT access tokens and opaque refresh tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from commerce.domain.errors import InvalidToken
from commerce.domain.events import utcnow

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32


class PasswordHasher:
    """argon2id with argon2-cffi's RFC 9106 low-memory defaults."""

    def __init__(self) -> None:
        self._argon = _Argon2(type=Type.ID)

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self) -> None:
        """Spend the same time as a real check so unknown emails are not revealed by timing."""
        self.verify(_DUMMY_HASH, "not-the-password")


_DUMMY_HASH = _Argon2(type=Type.ID).hash("dummy-password-for-timing")


@dataclasses.dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    issued_at: datetime  # whole seconds: a JWT's ``iat``
    #: The account's ``password_stamp`` when the token was issued (None: a token from before
    #: tokens carried it).
    password_stamp: int | None = None


class JwtTokens:
    """Short-lived HS256 access tokens; issuer, audience, expiry and signature all checked."""

    def __init__(self, secret: str, issuer: str, audience: str, minutes: int = 15) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        self.secret, self.issuer, self.audience = secret, issuer, audience
        self.lifetime = timedelta(minutes=minutes)

    def issue(self, user_id: str, role: str, password_stamp: int | None = None) -> str:
        """A signed access token; ``password_stamp`` (``commerce.domain.users``) ties it to
        the password it was issued under."""
        now = utcnow()
        claims: dict[str, Any] = {
            "sub": user_id,
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "jti": secrets.token_hex(8),
        }
        if password_stamp is not None:
            claims["pwv"] = password_stamp
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        try:
            # A fixed algorithm list: "none" and key-confusion tokens never verify.
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken("access token is invalid or expired") from e
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("role"), str):
            raise InvalidToken("access token is missing claims")
        try:  # PyJWT has checked that ``iat`` is a number no later than now, not how early
            issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
        except (OverflowError, OSError, ValueError) as e:
            raise InvalidToken("access token has an impossible issue time") from e
        stamp = claims.get("pwv")
        if stamp is not None and (type(stamp) is not int):  # bool is an int too: not a stamp
            raise InvalidToken("access token has a malformed password version")
        return AccessClaims(claims["sub"], claims["role"], issued_at, stamp)


def new_refresh_token() -> tuple[str, str]:
    """An opaque token for the client and the sha256 we store (never the token itself)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_reset_token() -> tuple[str, str]:
    """A single-use password-reset token for the mail and the sha256 we store."""
    return new_refresh_token()


def hash_reset_token(token: str) -> str:
    return hash_refresh_token(token)
