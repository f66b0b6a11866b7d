"""Users, roles and the rules for credentials."""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from commerce.domain.errors import InvalidInput, PasswordUnchanged
from commerce.domain.events import utcnow

CUSTOMER = "customer"
ADMIN = "admin"
ROLES = (CUSTOMER, ADMIN)
MIN_PASSWORD = 10
MAX_PASSWORD = 128  # bounded so hashing cost cannot be used as a denial of service
_INVISIBLE = ("Cc", "Cf")  # control and format characters: U+0000-U+001F, U+200B, U+FEFF...


def normalize_email(email: str) -> str:
    """The canonical form used for uniqueness: validated syntax, lower-cased."""
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as e:
        raise InvalidInput("email is not valid", {"field": "email"}) from e
    return result.normalized.lower()


def validate_password(password: str, field: str = "password") -> None:
    """Length rules only; the message never contains the password.

    Invisible characters (controls and formats such as the zero-width space) are not counted,
    and a password has to hold at least one character that is neither those nor a space.
    """
    shown = [c for c in password if unicodedata.category(c) not in _INVISIBLE]
    too_short = len(shown) < MIN_PASSWORD
    if too_short or len(password) > MAX_PASSWORD or all(c.isspace() for c in shown):
        raise InvalidInput(
            f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters, "
            "not counting invisible ones",
            {"field": field},
        )


def validate_new_password(current: str, new: str) -> None:
    """A password change's new password: registration's rules, and not the current one.

    Raises
    ------
    InvalidInput
        ``new`` breaks the length rules (``details.field`` is ``new_password``).
    PasswordUnchanged
        ``new`` is ``current``: the change would sign every other session out for nothing.
    """
    validate_password(new, field="new_password")
    if new == current:
        raise PasswordUnchanged(
            "the new password must differ from the current one", {"field": "new_password"}
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def password_stamp(changed_at: datetime | None) -> int:
    """Which password an access token was issued under, as the token carries it: the last
    change in whole microseconds since the epoch, exactly as stored (0: never changed)."""
    if changed_at is None:
        return 0
    return (changed_at - _EPOCH) // timedelta(microseconds=1)


def issued_before_password_change(
    issued_at: datetime, changed_at: datetime | None, stamp: int | None = None
) -> bool:
    """Whether an access token predates the account's last password change.

    A token carrying the :func:`password_stamp` it was issued under is current only while
    that is the account's stamp: exact, whatever the second. A token without one (issued
    before tokens carried it) is compared by its ``iat``, which holds whole seconds, so a
    token issued earlier in the change's own second would still pass that comparison.
    """
    if stamp is not None:
        return stamp != password_stamp(changed_at)
    return changed_at is not None and issued_at < changed_at.replace(microsecond=0)


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
    password_changed_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput("unknown role", {"field": "role"})

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN
