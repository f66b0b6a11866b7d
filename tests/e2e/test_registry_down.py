"""A model registry that does not answer costs a recommendation request a few seconds at most:
a 503 ``registry_unavailable`` while no champion is loaded, the loaded champion otherwise.

MLflow's own client retries such a registry for minutes. Each request here runs on a thread
the test waits for at most ``BOUND_S``, far above the few seconds a look may take, so a
request held that long fails the test instead of hanging it (the registry is then asked
again only after a backoff: the tests count the connections a silent registry accepted)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from test_recommendations_api import register, stock_the_shop

from emporium import champion as champion_module
from emporium.wiring import Container

REFUSED = "http://127.0.0.1:1"  # a port nothing listens on: connection refused
BOUND_S = 30.0


class SilentRegistry:
    """A loopback port that accepts connections and never answers on them: a hung server."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so the accept loop sees ``close``
        self._stop = threading.Event()
        self.accepted: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, name="silent-registry", daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self._listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:  # closed by ``close``
                return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentRegistry]:
    registry = SilentRegistry()
    yield registry
    registry.close()


def answer(client: TestClient, path: str, **params: Any) -> httpx.Response:
    """``GET path``, failing the test when no answer came within ``BOUND_S``."""
    got: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: got.append(client.get(path, params=params)))
    thread.daemon = True  # a request held for minutes must not hold the test run too
    thread.start()
    thread.join(BOUND_S)
    if not got:
        pytest.fail(f"GET {path}: no answer within {BOUND_S:g} s", pytrace=False)
    return got[0]


def registry_at(container: Container, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the API's registry to ``url`` once the health probe (started with the API, or
    here when it has not started yet) has answered for the one before: it then asks ``url``
    only when due or asked by /health, so the connections a test counts are its looks."""
    assert container.champion is not None
    container.champion.watch_registry()
    deadline = time.monotonic() + BOUND_S
    while container.champion.health().get("status") == "checking":
        assert time.monotonic() < deadline, "the registry's probe never answered"
        time.sleep(0.05)
    monkeypatch.setattr(container.settings.mlflow, "tracking_uri", url)


def unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "registry_unavailable"
    assert "127.0.0.1" not in error["message"]


def test_no_champion_and_a_registry_that_refuses_connections_is_503(
    container: Container, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry_at(container, REFUSED, monkeypatch)
    unavailable(answer(client, "/recommendations/1"))
    unavailable(answer(client, "/products/21/similar"))
    assert answer(client, "/recommendations/" + "x" * 65).status_code == 422  # still checked


def test_no_champion_and_a_registry_that_never_answers_is_503_and_asked_once(
    container: Container,
    client: TestClient,
    silent: SilentRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry_at(container, silent.url, monkeypatch)
    unavailable(answer(client, "/recommendations/1"))
    unavailable(answer(client, "/recommendations/2"))  # from the failed look: not asked again
    assert len(silent.accepted) == 1


def served_by_version_1(client: TestClient) -> None:
    body = answer(client, "/recommendations/1", n=1).json()
    assert body["model_version"] == "1" and [i["item_id"] for i in body["items"]] == ["11"]


def champion_loaded_and_looked_up_every_request(container: Container, client: TestClient) -> None:
    """Version 1 registered and served, with the registry looked at on every request."""
    assert container.champion is not None
    container.champion.ttl = 0.0
    stock_the_shop(container)
    register(container, l2=1.0)
    served_by_version_1(client)


def test_a_loaded_champion_is_served_while_the_registry_refuses_connections(
    container: Container,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    champion_loaded_and_looked_up_every_request(container, client)
    registry_at(container, REFUSED, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="emporium.champion"):
        for _ in range(3):
            served_by_version_1(client)
    # What the operator reads: the registry was asked, and the loaded version kept serving.
    assert REFUSED in caplog.text and "serving 1" in caplog.text


def test_a_loaded_champion_is_served_while_the_registry_hangs_and_it_is_asked_once(
    container: Container,
    client: TestClient,
    silent: SilentRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    champion_loaded_and_looked_up_every_request(container, client)
    registry_at(container, silent.url, monkeypatch)
    for _ in range(3):
        served_by_version_1(client)
    assert len(silent.accepted) == 1  # the first request looked; the others were not held


# /health: a registry down never costs the API its place behind the load balancer (commerce
# and search need no registry); it is asked at most once per period, by a thread of its own,
# and /health reports its latest answer.


def registry_health(response: httpx.Response) -> dict[str, Any]:
    registry: dict[str, Any] = response.json()["engines"]["registry"]
    return registry


def health_once_every_engine_answered(client: TestClient) -> httpx.Response:
    """``GET /health`` until every engine it reports has answered its background check (the
    registry's probe, the mail server's: ``checking`` until then), failing the test when one
    has not within ``BOUND_S``."""
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        response = answer(client, "/health")
        engines = response.json()["engines"].values()
        if not any(engine.get("status") == "checking" for engine in engines):
            return response
        time.sleep(0.05)
    pytest.fail(f"an engine was still being checked after {BOUND_S:g} s", pytrace=False)


def degraded_twice_with_a_hung_registry(client: TestClient, model_version: str | None) -> None:
    """Two /health answers (each once the probe has answered): 200 ``degraded``, the
    registry unhealthy and not required, and ``model_version`` still reported."""
    for _ in range(2):
        response = health_once_every_engine_answered(client)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "degraded"
        registry = registry_health(response)
        assert registry["healthy"] is False and registry["error"]
        assert registry["model_version"] == model_version and registry["required"] is False


def test_health_stays_200_while_a_loaded_champion_is_served_and_the_registry_hangs(
    container: Container,
    client: TestClient,
    silent: SilentRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    champion_loaded_and_looked_up_every_request(container, client)
    registry_at(container, silent.url, monkeypatch)
    degraded_twice_with_a_hung_registry(client, model_version="1")
    assert len(silent.accepted) == 1  # the second probe reused the first one's answer
    served_by_version_1(client)


def test_health_stays_200_while_no_champion_is_loaded_and_the_registry_hangs(
    container: Container,
    client: TestClient,
    silent: SilentRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry_at(container, silent.url, monkeypatch)
    degraded_twice_with_a_hung_registry(client, model_version=None)
    assert len(silent.accepted) == 1
    unavailable(answer(client, "/recommendations/1"))  # only recommendations are refused
    assert answer(client, "/products").status_code == 200


def test_health_never_waits_for_the_registry_and_never_asks_it_itself(
    container: Container,
    client: TestClient,
    silent: SilentRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A load balancer's health check with a time-out shorter than a probe's would count the
    API as down while the registry hangs: /health reports the probe's latest answer instead,
    answering while the probe is still held, and the probe runs only on its own thread."""
    champion = container.champion
    assert champion is not None
    held_s = BOUND_S / 3  # a probe of the silent registry is held for the whole test
    monkeypatch.setattr(champion_module, "HEALTH_TIMEOUT_S", held_s)
    champion.timeout_s = held_s
    probes: list[tuple[str, threading.Event]] = []  # (the thread it ran on, finished)
    probe = champion._probe

    def recorded(uri: str) -> None:
        probes.append((threading.current_thread().name, threading.Event()))
        try:
            probe(uri)
        finally:
            probes[-1][1].set()

    monkeypatch.setattr(champion, "_probe", recorded)
    health_once_every_engine_answered(client)  # the embedded store's answer
    registry_at(container, silent.url, monkeypatch)
    answer(client, "/health")  # the registry moved: the probe asks the new one now
    deadline = time.monotonic() + BOUND_S
    while not silent.accepted:  # connected, and now waits for an answer that never comes
        assert time.monotonic() < deadline, "the registry moved to was never probed"
        time.sleep(0.05)
    response = answer(client, "/health")
    assert not probes[-1][1].is_set()  # answered while the probe is still held
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert registry_health(response) == {
        **registry_health(response), "healthy": None, "status": "checking"
    }  # fmt: skip
    assert {thread for thread, _ in probes} == {"registry-health"}
