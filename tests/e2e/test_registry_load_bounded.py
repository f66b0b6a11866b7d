"""Loading a new champion is bounded like looking it up: a registry that answers the alias
look-up and then stops answering (or whose artifact store hangs) costs the request that loads
a few seconds at most, the loaded version keeps being served (a 503 ``registry_unavailable``
while none is), and the load is tried again after the backoff.

Through the whole API, against the real MLflow tracking server behind a proxy the test can
silence. MLflow's own client would wait for such a server for minutes (``answer`` fails the
test after 30 s instead of hanging it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from registry_support import RegistryProxy, register_champion
from test_recommendations_api import stock_the_shop
from test_registry_down import answer, registry_at, served_by_version_1, unavailable

from emporium import champion as champion_module
from emporium.wiring import Container

pytestmark = pytest.mark.mlflow

#: What stops answering once the alias has been looked up: the registry's other endpoints, or
#: the artifact store halfway through a version's files (its ``MLmodel`` already sent).
REGISTRY = "/api/2.0/mlflow/model-versions/"
MODEL_FILE = "/model.pkl"


@pytest.fixture
def proxy(mlflow_server_url: str) -> Iterator[RegistryProxy]:
    registry = RegistryProxy(mlflow_server_url)
    yield registry
    registry.close()


@pytest.fixture
def served_through(
    container: Container, proxy: RegistryProxy, unique: str, monkeypatch: pytest.MonkeyPatch
) -> Container:
    """The API's registry is the proxy, its model a fresh name, looked up on every request."""
    assert container.champion is not None
    container.champion.name = f"recs-{unique}"
    container.champion.ttl = 0.0
    container.champion.timeout_s = 2.0
    registry_at(container, proxy.url, monkeypatch)
    stock_the_shop(container)
    return container


def served_by_version_2(client: TestClient) -> None:
    body = answer(client, "/recommendations/1", n=1).json()
    assert body["model_version"] == "2" and [i["item_id"] for i in body["items"]] == ["11"]


@pytest.mark.parametrize("part", [REGISTRY, MODEL_FILE])
def test_a_new_version_that_does_not_load_leaves_the_loaded_one_serving(
    served_through: Container,
    client: TestClient,
    proxy: RegistryProxy,
    mlflow_server_url: str,
    caplog: pytest.LogCaptureFixture,
    part: str,
) -> None:
    name = served_through.champion.name  # type: ignore[union-attr]
    register_champion(mlflow_server_url, name, l2=1.0)
    served_by_version_1(client)
    register_champion(mlflow_server_url, name, l2=2.0)
    proxy.stall(part)
    with caplog.at_level(logging.WARNING, logger="emporium.champion"):
        for _ in range(3):
            served_by_version_1(client)
    assert len(proxy.stalled) == 1  # the first request tried; the others wait for the backoff
    assert "version 2" in caplog.text and "serving 1" in caplog.text


def test_nothing_loaded_and_a_version_that_does_not_load_is_503(
    served_through: Container, client: TestClient, proxy: RegistryProxy, mlflow_server_url: str
) -> None:
    register_champion(mlflow_server_url, served_through.champion.name, l2=1.0)  # type: ignore[union-attr]
    proxy.stall(MODEL_FILE)
    unavailable(answer(client, "/recommendations/1"))
    unavailable(answer(client, "/products/21/similar"))
    assert len(proxy.stalled) == 1


def test_a_load_cut_off_halfway_is_tried_again_and_then_served_whole(
    served_through: Container,
    client: TestClient,
    proxy: RegistryProxy,
    mlflow_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(champion_module, "MIN_BACKOFF_S", 0.0)  # try again on the next request
    name = served_through.champion.name  # type: ignore[union-attr]
    register_champion(mlflow_server_url, name, l2=1.0)
    served_by_version_1(client)
    register_champion(mlflow_server_url, name, l2=2.0)
    proxy.stall(MODEL_FILE)
    served_by_version_1(client)
    proxy.answer_again()
    served_by_version_2(client)
    similar = answer(client, "/products/21/similar", n=3).json()
    assert similar["model_version"] == "2" and len(similar["items"]) == 3
