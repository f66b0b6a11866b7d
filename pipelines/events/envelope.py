"""The one event envelope every producer and consumer in emporium speaks."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

SCHEMA_VERSION = 1
#: The envelope versions every consumer reads (bronze quarantines any other).
SUPPORTED_SCHEMA_VERSIONS: tuple[int, ...] = (SCHEMA_VERSION,)
#: ``event_id`` as text: a UUID in its canonical 8-4-4-4-12 form, in either case. Python's
#: ``uuid.UUID`` also takes it without hyphens, in braces or as a URN, which bronze refused.
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID_RE = re.compile(UUID_PATTERN)
#: The longest user, session, request or product id an event carries.
ID_MAX_LENGTH = 128
#: ``ts`` as text: an RFC 3339 date-time (section 5.6: seconds required, "T" and "Z" in either
#: case), plus two unambiguous forms producers already sent and bronze always took: a space
#: between date and time, and an offset without its colon. The offset is optional here so a
#: time without one is refused as having no time zone. Bronze applies the same pattern; ASCII
#: digits only, for Python and Java regexes agree on nothing else.
TS_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)
_TS_RE = re.compile(TS_PATTERN)


class Event(BaseModel):
    """An event in the platform's envelope.

    ``product_id`` is a string on purpose: catalog codes such as ``85123A`` are not integers.
    ``request_id`` is the id of the API request that caused the event, so a search, the
    recommendations it produced and the clicks on them can be joined later.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=64)
    ts: datetime = Field(default_factory=lambda: datetime.now(UTC))
    user_id: str | None = Field(default=None, max_length=ID_MAX_LENGTH)
    session_id: str | None = Field(default=None, max_length=ID_MAX_LENGTH)
    request_id: str | None = Field(default=None, max_length=ID_MAX_LENGTH)
    product_id: str | None = Field(default=None, max_length=ID_MAX_LENGTH)
    payload: dict[str, Any] = Field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @model_validator(mode="before")
    @classmethod
    def _versioned_on_the_wire(cls, data: Any, info: ValidationInfo) -> Any:
        # A record read from the wire must say its version (bronze quarantines one that does
        # not); an event built in Python gets the current one.
        wire = (info.context or {}).get("wire")
        if wire and isinstance(data, dict) and "schema_version" not in data:
            raise ValueError("schema_version is required")
        return data

    @field_validator("event_id", mode="before")
    @classmethod
    def _canonical_uuid(cls, value: Any) -> Any:
        if isinstance(value, str) and not _UUID_RE.fullmatch(value):
            raise ValueError("event_id must be a UUID such as 01234567-89ab-cdef-0123-456789abcdef")
        return value

    @field_validator("schema_version", mode="before")
    @classmethod
    def _supported_version(cls, value: Any) -> Any:
        # Pydantic alone took 1.0, "1" and true as 1, and any other integer as a version.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("schema_version must be an integer")
        if value not in SUPPORTED_SCHEMA_VERSIONS:
            supported = ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))
            raise ValueError(f"unsupported schema_version {value} (supported: {supported})")
        return value

    @field_validator("ts", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> Any:
        # Pydantic alone also took Unix seconds (or milliseconds, guessed by size), dates
        # without seconds and other ISO 8601 forms, which bronze quarantined.
        if isinstance(value, str) and not _TS_RE.fullmatch(value):
            raise ValueError("ts must be an RFC 3339 date-time such as 2026-01-02T03:04:05Z")
        if isinstance(value, int | float):
            raise ValueError("ts must be an RFC 3339 date-time, not a number")
        return value

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("ts must carry a time zone (UTC)")
        return value.astimezone(UTC)

    @field_validator("user_id", "session_id", "product_id", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        # Numeric ids from datasets (Taobao, REES46) become strings at the edge.
        if isinstance(value, bool):
            raise ValueError("an id cannot be a boolean")
        return str(value) if isinstance(value, int) else value

    def key(self) -> str:
        """The partition key: the user, or the session when anonymous."""
        return partition_key(self.user_id, self.session_id)

    def to_json(self) -> str:
        """One line of JSON, the wire and on-disk form."""
        return self.model_dump_json()

    def to_bytes(self) -> bytes:
        return self.to_json().encode("utf-8")

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        """Parse one event; raises ``pydantic.ValidationError`` on a bad record."""
        return cls.model_validate(json.loads(raw), context={"wire": True})


def partition_key(user_id: str | None, session_id: str | None) -> str:
    """Key by user, or by session when anonymous, so one visitor's events keep their order."""
    if user_id:
        return f"u:{user_id}"
    if session_id:
        return f"s:{session_id}"
    return "anonymous"
