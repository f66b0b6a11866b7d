"""Bad input to the API on the embedded engines: a clear 4xx with a stable code, never a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from emporium.wiring import Container
from pipelines.events import CLICKSTREAM
from serving.errors import install_error_handlers


def _error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    error: dict[str, object] = body["error"]
    return error


def test_a_content_length_that_is_not_a_number_is_a_bad_request(client: TestClient) -> None:
    for length in (b"abc", b"-1", b"1e3", b"\xb2"):  # latin-1 "\xb2" is "²", a str.isdigit()
        headers = {b"content-type": b"application/json", b"content-length": length}
        response = client.post("/events", content=b'{"events":[]}', headers=headers)
        assert response.status_code == 400, length
        assert _error(response)["code"] == "bad_request"


def test_nul_in_a_path_or_query_is_a_validation_error(client: TestClient) -> None:
    for url, where in (("/products/85123A%00", "path"), ("/products?category=a%00", "query"),
                       ("/search?q=lamp%00", "query")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 422, url
        error = _error(response)
        assert error["code"] == "validation_error"
        assert error["details"] == [
            {"loc": [where], "msg": "NUL characters are not allowed", "type": "nul_character"}
        ]


def test_a_checkout_event_with_an_infinite_cart_value_is_rejected(
    client: TestClient, container: Container
) -> None:
    """JSON has no Infinity: it used to be accepted and published as ``cart_value: null``."""
    raw = b'{"events":[{"type":"begin_checkout","payload":{"cart_value":Infinity}}]}'
    response = client.post("/events", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["accepted"] == 0
    assert "cart_value" in response.json()["rejected"][0]["reason"]
    assert list(container.event_bus.consume(CLICKSTREAM, "test", max_events=10)) == []


def test_database_errors_are_internal_and_never_echo_the_statement() -> None:
    """A SQLAlchemy error has a ``code`` ("9h9h") like a domain error; it used to be answered
    as a 400 with that code and the SQL statement and parameters as the message."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise DataError("SELECT secret FROM users WHERE email = %(e)s", {"e": "a@b.c"}, None)

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert _error(response) == {
        "code": "internal_error", "message": "an unexpected error occurred", "details": None,
    }  # fmt: skip
