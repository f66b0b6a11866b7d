"""Clickstream event types and their payload validation (used by ``POST /events``).

Purchases are not client events: they come from the commerce topic's ``OrderPlaced``, so
nothing is counted twice. The server stamps ``ts`` (receive time), ``request_id`` and the
authenticated ``user_id``; the client's own clock goes to ``payload.client_ts``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from commerce.domain.text import has_nul
from pipelines.events.envelope import Event

MAX_BATCH = 500
ID = Field(min_length=1, max_length=128)
#: The largest count or position an event carries: a 32-bit integer column downstream.
MAX_COUNT = 2**31 - 1
# A client's clock may be wrong, but not by decades or more than a day ahead of the server.
EARLIEST_CLIENT_TS = datetime(2000, 1, 1, tzinfo=UTC)
CLIENT_CLOCK_AHEAD = timedelta(days=1)


class _Payload(BaseModel):
    # Strict: JSON true is not the number 1, nor "5" the number 5.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PageView(_Payload):
    path: str = Field(min_length=1, max_length=2048)
    referrer: str | None = Field(default=None, max_length=2048)


class ProductView(_Payload):
    source: str | None = Field(default=None, max_length=64)
    position: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class Search(_Payload):
    query: str = Field(min_length=1, max_length=512)
    result_count: int = Field(ge=0, le=MAX_COUNT)
    search_request_id: str = ID


class CartChange(_Payload):
    quantity: int = Field(default=1, ge=1, le=10_000)


class BeginCheckout(_Payload):
    item_count: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    cart_value: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class RecommendationImpression(_Payload):
    recommendation_request_id: str = ID
    model_name: str = Field(min_length=1, max_length=128)
    model_version: str = Field(min_length=1, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    product_ids: list[Annotated[str, ID]] = Field(min_length=1, max_length=200)
    placement: str | None = Field(default=None, max_length=64)


class RecommendationClick(_Payload):
    recommendation_request_id: str = ID
    model_name: str = Field(min_length=1, max_length=128)
    model_version: str = Field(min_length=1, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    position: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class Wishlist(_Payload):
    pass


# type -> (payload model, whether the event must name a product)
EVENT_TYPES: dict[str, tuple[type[_Payload], bool]] = {
    "page_view": (PageView, False),
    "product_view": (ProductView, True),
    "search": (Search, False),
    "add_to_cart": (CartChange, True),
    "remove_from_cart": (CartChange, True),
    "begin_checkout": (BeginCheckout, False),
    "recommendation_impression": (RecommendationImpression, False),
    "recommendation_click": (RecommendationClick, True),
    "add_to_wishlist": (Wishlist, True),
}


class ClientEvent(BaseModel):
    """What a client may send. ``user_id`` is accepted but never trusted (it is replaced)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=64)
    ts: datetime | None = None
    session_id: str | None = Field(default=None, max_length=128)
    product_id: str | None = Field(default=None, max_length=128)
    user_id: str | int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ts", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        # A number could be seconds or milliseconds; ISO 8601 text says which moment it is.
        if value is not None and not isinstance(value, str):
            raise ValueError("must be ISO 8601 text, e.g. 2026-03-01T12:00:00Z")
        return value

    @field_validator("ts")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-03-01T12:00:00Z")
        return value


class InvalidClientEvent(ValueError):
    """A client event that cannot be accepted; ``reason`` says why, for the response."""

    code = "invalid_event"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validate_client_event(
    raw: Any, *, user_id: str | None, request_id: str, received_at: datetime
) -> Event:
    """Turn one client record into an envelope ``Event`` or raise ``InvalidClientEvent``.

    Parameters
    ----------
    raw
        The record as decoded from the request body.
    user_id
        The authenticated user, or ``None``: the client's own ``user_id`` is ignored.
    request_id
        The id of the HTTP request that carried the batch.
    received_at
        The server's receive time, the event's ``ts``.
    """
    if has_nul(raw):  # PostgreSQL text and JSON cannot hold one, wherever the event ends up
        raise InvalidClientEvent("NUL characters are not allowed")
    try:
        client = ClientEvent.model_validate(raw)
    except ValidationError as e:
        raise InvalidClientEvent(_describe(e)) from e
    if client.type not in EVENT_TYPES:
        raise InvalidClientEvent(f"unknown event type {client.type!r}")
    model, needs_product = EVENT_TYPES[client.type]
    if needs_product and not client.product_id:
        raise InvalidClientEvent(f"{client.type} needs a product_id")
    try:
        payload = model.model_validate(client.payload).model_dump(exclude_none=True)
    except ValidationError as e:
        raise InvalidClientEvent(f"payload: {_describe(e)}") from e
    if client.ts is not None:
        if not EARLIEST_CLIENT_TS <= client.ts <= received_at + CLIENT_CLOCK_AHEAD:
            raise InvalidClientEvent(
                f"ts: {client.ts.isoformat()} is before {EARLIEST_CLIENT_TS.year} or more than "
                "a day after the server's time"
            )
        payload["client_ts"] = client.ts.astimezone(UTC).isoformat()
    return Event(
        type=client.type,
        ts=received_at,
        user_id=user_id,
        session_id=client.session_id,
        request_id=request_id,
        product_id=client.product_id,
        payload=payload,
    )


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "event"
        parts.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
