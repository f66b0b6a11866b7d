"""``POST /events`` over the embedded engines: per-event validation, server-stamped fields."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from commerce.adapters.security import JwtTokens
from commerce.domain.users import User
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.wiring import Container
from pipelines.events import CLICKSTREAM, Event
from pipelines.events.clickstream import MAX_BATCH
from serving.app import create_app
from serving.routers import events as events_router
from serving.routers.events import ANONYMOUS_BATCHES_PER_MINUTE


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    app = create_app(lambda: container)
    if not any(getattr(r, "path", None) == "/events" for r in app.routes):
        app.include_router(events_router.router)  # until the app factory includes it
    with TestClient(app) as client:
        yield client


def _published(container: Container) -> list[Event]:
    return [c.event for c in container.event_bus.consume(CLICKSTREAM, "test", max_events=1000)]


VIEW = {"type": "product_view", "product_id": "85123A", "session_id": "s1"}


def test_valid_events_are_published_and_invalid_ones_explained(
    api: TestClient, container: Container
) -> None:
    batch = [
        {**VIEW, "user_id": "someone-else"},
        {"type": "purchase", "product_id": "x"},
        {
            "type": "search",
            "payload": {"query": "mug", "result_count": 3, "search_request_id": "r"},
        },
        {"type": "add_to_cart"},
        {"type": "search", "payload": {"query": "mug"}},
    ]
    response = api.post("/events", json={"events": batch}, headers={"X-Request-ID": "req-1"})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2 and body["request_id"] == "req-1"
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert set(reasons) == {1, 3, 4}
    assert "unknown event type" in reasons[1] and "product_id" in reasons[3]
    assert "result_count" in reasons[4]
    published = _published(container)
    assert [e.type for e in published] == ["product_view", "search"]
    assert all(e.user_id is None and e.request_id == "req-1" for e in published)


def test_authenticated_user_replaces_the_clients_user_id(
    api: TestClient, container: Container
) -> None:
    with SqlAlchemyUnitOfWork(container.session_factory) as uow:
        uow.users.upsert_many([User("42", None, None)])  # a token's account must exist
        uow.commit()
    tokens = JwtTokens(container.jwt_secret, container.jwt_issuer, container.jwt_audience)
    headers = {"Authorization": f"Bearer {tokens.issue('42', 'customer')}"}
    response = api.post("/events", json={"events": [{**VIEW, "user_id": "7"}]}, headers=headers)
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert [e.user_id for e in _published(container)] == ["42"]


def test_an_unknown_batch_key_is_refused(api: TestClient) -> None:
    response = api.post("/events", json={"events": [VIEW], "evnets": []})
    assert response.status_code == 422


def test_batches_are_bounded(api: TestClient) -> None:
    response = api.post("/events", json={"events": [VIEW] * (MAX_BATCH + 1)})
    assert response.status_code == 422


def early_in_a_minute(margin_s: float = 10.0) -> None:
    """Wait for the next clock minute if this one ends within ``margin_s``: the anonymous
    limit counts per clock minute, and a run of requests crossing into the next minute would
    be counted afresh there (never refused)."""
    left = 60.0 - time.time() % 60.0
    if left < margin_s:
        time.sleep(left + 0.05)


def test_anonymous_clients_are_rate_limited(api: TestClient) -> None:
    early_in_a_minute()
    codes = [
        api.post("/events", json={"events": [VIEW]}).status_code
        for _ in range(ANONYMOUS_BATCHES_PER_MINUTE + 1)
    ]
    assert codes[:-1] == [200] * ANONYMOUS_BATCHES_PER_MINUTE
    assert codes[-1] == 429


def test_a_refused_batch_says_when_to_retry(api: TestClient) -> None:
    """The 429 carries the standard ``Retry-After`` (it had none), equal to the body's
    ``retry_after_seconds``: the seconds to the end of the minute counted, at most 60."""
    early_in_a_minute()
    for _ in range(ANONYMOUS_BATCHES_PER_MINUTE):
        api.post("/events", json={"events": [VIEW]})
    refused = api.post("/events", json={"events": [VIEW]})
    seconds = refused.json()["error"]["details"]["retry_after_seconds"]
    assert refused.status_code == 429 and 1 <= seconds <= 60
    assert refused.headers["Retry-After"] == str(seconds)
