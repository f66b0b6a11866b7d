from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from commerce.domain.users import MAX_PASSWORD
from serving.schemas.base import InputModel


class Credentials(InputModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class PasswordChangeRequest(InputModel):
    # Only the bound against hashing cost here: the length rules answer ``invalid_input``
    # with ``details.field``, as registration's do.
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class PasswordResetRequest(InputModel):
    email: str = Field(min_length=3, max_length=320)


class PasswordResetConfirm(InputModel):
    token: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class PasswordResetAccepted(BaseModel):
    """The one answer to every reset request: it never says whether the account exists."""

    status: str = "accepted"
    message: str


class RefreshRequest(InputModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class UserPublic(BaseModel):
    id: str
    email: str | None
    role: str
    created_at: datetime
