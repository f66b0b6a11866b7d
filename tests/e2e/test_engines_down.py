"""An engine that does not answer is a 503 with a stable code, never a 400 or a 500, and never
shows the client its URL. The engines here are real clients pointed at a loopback port where
nothing listens (connection refused), which is what a stopped server looks like.

``TestClient`` re-raises what reached Starlette's server-error path: a response here also
shows the error was handled without being logged as a crash and without dropping the
client's keep-alive connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from commerce.adapters.db import upgrade
from emporium.search_indexing import reindex_catalog
from emporium.settings import Settings
from emporium.wiring import Container, build_container
from pipelines.events.kafka import KafkaEventBus
from serving.app import create_app

NOBODY = "127.0.0.1:1"  # a port nothing listens on


def _client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container)) as client:
        yield client


@pytest.fixture
def cache_down(
    embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    embedded_settings.state_path.mkdir(parents=True, exist_ok=True)
    upgrade(embedded_settings.database_url)
    reindex_catalog(embedded_settings)  # an index (empty) behind the alias
    monkeypatch.setattr(embedded_settings.cache, "url", f"redis://{NOBODY}/0")
    yield from _client(build_container(embedded_settings, check=False))


@pytest.fixture
def database_down(
    embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    url = f"postgresql+psycopg://emporium:secret@{NOBODY}/emporium"
    monkeypatch.setattr(embedded_settings.database, "url", url)
    yield from _client(build_container(embedded_settings, check=False))


def _unavailable(response, code: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert "127.0.0.1" not in error["message"] and "secret" not in response.text


def test_search_answers_without_its_cache_and_login_says_the_cache_is_down(
    cache_down: TestClient,
) -> None:
    assert cache_down.get("/search", params={"q": "mug"}).status_code == 200
    assert cache_down.get("/search/suggest", params={"prefix": "mu"}).status_code == 200
    login = {"email": "someone@example.com", "password": "a-long-password-1"}
    _unavailable(cache_down.post("/auth/login", json=login), "cache_unavailable")
    assert cache_down.get("/products").status_code == 200  # the same connection still works


def test_a_database_that_refuses_connections_is_503_database_unavailable(
    database_down: TestClient,
) -> None:
    _unavailable(database_down.get("/products"), "database_unavailable")
    _unavailable(database_down.get("/products/sku-1"), "database_unavailable")
    _unavailable(database_down.post("/cart/anonymous"), "database_unavailable")


def test_an_event_stream_that_does_not_answer_is_503_bus_unavailable(
    container: Container,
) -> None:
    container.event_bus = KafkaEventBus(NOBODY, request_timeout_s=1.0, health_timeout_s=1.0)
    with TestClient(create_app(lambda: container)) as client:
        sent = client.post(
            "/events", json={"events": [{"type": "page_view", "payload": {"path": "/"}}]}
        )
        _unavailable(sent, "bus_unavailable")


def test_health_is_200_degraded_while_only_the_cache_is_down(cache_down: TestClient) -> None:
    """Only the database is required: a cache outage costs login a 503, not every instance its
    place behind the load balancer (which would stop cart and checkout too)."""
    response = cache_down.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["engines"]["cache"]["healthy"] is False
    assert body["engines"]["cache"]["required"] is False
    assert body["engines"]["database"] == {**body["engines"]["database"], "healthy": True,
                                           "required": True}  # fmt: skip


def test_health_is_503_while_the_database_is_down(database_down: TestClient) -> None:
    response = database_down.get("/health")
    assert response.status_code == 503, response.text
    database = response.json()["engines"]["database"]
    assert database["healthy"] is False and database["required"] is True
    assert "secret" not in response.text


@pytest.fixture
def mail_hung(embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A mail server that accepts connections and never says a word (no SMTP greeting)."""
    embedded_settings.state_path.mkdir(parents=True, exist_ok=True)
    upgrade(embedded_settings.database_url)
    listener = socket.create_server(("127.0.0.1", 0))  # the kernel completes the handshakes
    monkeypatch.setattr(embedded_settings.mail, "url",
                        f"smtp://127.0.0.1:{listener.getsockname()[1]}")  # fmt: skip
    container = build_container(embedded_settings, check=False)
    yield from ((container, client) for client in _client(container))
    listener.close()


def test_health_never_waits_for_a_mail_server_that_does_not_answer(mail_hung: Any) -> None:
    """The mail server is checked on a thread started with the API, whose check here waits
    10 s for a greeting that never comes; /health reports it as not heard from yet instead
    of waiting for it (before, every /health waited out the SMTP timeouts, then said
    unhealthy)."""
    _, client = mail_hung
    response = client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engines"]["mail"]["healthy"] is None
    assert body["engines"]["mail"]["status"] == "checking"
    assert body["status"] == "ok"  # not heard from is not down
