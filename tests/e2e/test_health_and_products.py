from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from fastapi.testclient import TestClient
from test_registry_down import (
    champion_loaded_and_looked_up_every_request,
    health_once_every_engine_answered,
)

from commerce.domain.products import Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.wiring import Container


def _add(container: Container, *products: Product) -> None:
    with SqlAlchemyUnitOfWork(container.session_factory) as uow:
        for product in products:
            uow.products.add(product)
        uow.commit()


def test_health_lists_every_engine(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"  # the registry, maybe not heard from yet, counts as no fault
    assert set(body["engines"]) == {"database", "events", "search", "cache", "mail", "registry"}
    assert response.headers["x-request-id"]
    body = health_once_every_engine_answered(client).json()
    assert body["status"] == "ok"
    assert all(engine["healthy"] for engine in body["engines"].values())


def test_health_reports_the_registry_and_the_champion_loaded(
    container: Container, client: TestClient
) -> None:
    before = health_once_every_engine_answered(client)
    assert before.status_code == 200
    registry = before.json()["engines"]["registry"]
    assert registry["healthy"] is True and registry["model_version"] is None  # none registered
    champion_loaded_and_looked_up_every_request(container, client)
    after = client.get("/health")
    assert after.status_code == 200 and after.json()["status"] == "ok"
    assert after.json()["engines"]["registry"]["model_version"] == "1"


def test_products_are_paged_and_string_skus_are_kept(
    client: TestClient, container: Container
) -> None:
    _add(
        container,
        *(
            Product(
                sku=f"8512{i}A",
                name=f"Heart {i}",
                price=Decimal("2.55"),
                currency="GBP",
                category_path="home/decor",
            )
            for i in range(5)
        ),
    )
    first = client.get("/products", params={"size": 2}).json()
    assert first["total"] == 5 and [p["sku"] for p in first["items"]] == ["85120A", "85121A"]
    third = client.get("/products", params={"size": 2, "page": 3}).json()
    assert [p["sku"] for p in third["items"]] == ["85124A"]
    assert client.get("/products", params={"category": "home"}).json()["total"] == 5
    assert client.get("/products", params={"category": "garden"}).json()["total"] == 0
    one = client.get("/products/85123A").json()
    assert one["name"] == "Heart 3" and Decimal(one["price"]) == Decimal("2.55")


def test_errors_have_one_shape(client: TestClient) -> None:
    missing = client.get("/products/NOPE")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad_page = client.get("/products", params={"page": 0})
    assert bad_page.status_code == 422
    assert bad_page.json()["error"]["code"] == "validation_error"
    too_big = client.get("/products", params={"size": 10_000})
    assert too_big.status_code == 422


def test_oversize_body_is_refused_before_it_is_read(client: TestClient) -> None:
    response = client.post(
        "/products", content=b"x" * (2 << 20), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_oversize_body_without_a_length_is_cut_off_too(client: TestClient) -> None:
    """Sent chunked (no Content-Length), a body used to be read whole, however big."""

    def chunks() -> Iterator[bytes]:
        yield b'{"events": ['
        for _ in range(2048):
            yield b'{"type": "view", "item_id": "' + b"x" * 1000 + b'"},'
        yield b"{}]}"

    json_type = {"content-type": "application/json"}
    response = client.post("/events", content=chunks(), headers=json_type)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
