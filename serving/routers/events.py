"""``POST /events``: a bounded batch of clickstream events, each validated on its own."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from commerce.domain.errors import RateLimited
from commerce.service_layer.rate_limit import retry_after
from pipelines.events import Event
from pipelines.events.clickstream import MAX_BATCH, InvalidClientEvent, validate_client_event
from serving.routers.deps import MaybeClaims, container, request_id

router = APIRouter(tags=["events"])

ANONYMOUS_BATCHES_PER_MINUTE = 60
WINDOW_S = 60


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not ignored

    events: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class RejectedEvent(BaseModel):
    index: int
    reason: str


class EventBatchResult(BaseModel):
    accepted: int
    rejected: list[RejectedEvent]
    request_id: str


@router.post("/events", response_model=EventBatchResult)
def post_events(batch: EventBatch, request: Request, claims: MaybeClaims) -> EventBatchResult:
    """Publish the valid events to the clickstream topic; return the invalid ones with why.

    The server stamps the receive time and the request id, and the user comes from the
    access token only: a client's ``user_id`` is never trusted. Clients without a token are
    rate limited per address.
    """
    if claims is None:
        _limit_anonymous(request)
    rid = request_id(request) or ""
    now = datetime.now(UTC)
    user = claims.user_id if claims is not None else None
    valid: list[Event] = []
    rejected: list[RejectedEvent] = []
    for index, raw in enumerate(batch.events):
        try:
            valid.append(validate_client_event(raw, user_id=user, request_id=rid, received_at=now))
        except InvalidClientEvent as e:
            rejected.append(RejectedEvent(index=index, reason=e.reason))
    if valid:
        engines = container(request)
        engines.event_bus.publish(engines.clickstream_topic, valid)
    return EventBatchResult(accepted=len(valid), rejected=rejected, request_id=rid)


def _limit_anonymous(request: Request) -> None:
    address = request.client.host if request.client else "unknown"
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    now = datetime.now(UTC).timestamp()
    window = int(now) // WINDOW_S
    key = f"events:anon:{digest}:{window}"
    count, remaining_s = container(request).cache.incr_ttl(key, WINDOW_S)
    if count > ANONYMOUS_BATCHES_PER_MINUTE:
        # The key changes with the clock's minute, which may come before the counter expires.
        until_next_window = (window + 1) * WINDOW_S - now
        expiry = until_next_window if remaining_s is None else min(remaining_s, until_next_window)
        raise RateLimited(retry_after(expiry, WINDOW_S))
