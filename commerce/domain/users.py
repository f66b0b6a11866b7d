"""Users, roles and the rules for credentials."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from commerce.domain.errors import InvalidInput
from commerce.domain.events import utcnow

CUSTOMER = "customer"
ADMIN = "admin"
ROLES = (CUSTOMER, ADMIN)
MIN_PASSWORD = 10
MAX_PASSWORD = 128  # bounded so hashing cost cannot be used as a denial of service


def normalize_email(email: str) -> str:
    """The canonical form used for uniqueness: validated syntax, lower-cased."""
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as e:
        raise InvalidInput("email is not valid", {"field": "email"}) from e
    return result.normalized.lower()


def validate_password(password: str) -> None:
    """Length rules only; the message never contains the password."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or not password.strip():
        raise InvalidInput(
            f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters",
            {"field": "password"},
        )


def new_user_id() -> str:
    return uuid.uuid4().hex


@dataclasses.dataclass
class User:
    id: str
    email: str | None
    password_hash: str | None
    role: str = CUSTOMER
    country: str | None = None
    is_active: bool = True
    created_at: datetime = dataclasses.field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput("unknown role", {"field": "role"})

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN
