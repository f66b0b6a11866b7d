"""Every 429 the error handlers write carries the standard ``Retry-After`` header."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from commerce.domain.errors import RateLimited
from serving.errors import DEFAULT_RETRY_AFTER_S, install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/limited")
    def limited() -> None:
        raise RateLimited(17)

    @app.get("/bare")
    def bare() -> None:
        raise HTTPException(status_code=429, detail="slow down")

    @app.get("/missing")
    def missing() -> None:
        raise HTTPException(status_code=404, detail="no such thing")

    return app


def test_a_429_sends_its_wait_as_the_retry_after_header() -> None:
    answer = TestClient(_app()).get("/limited")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "17"
    assert answer.json()["error"]["details"] == {"retry_after_seconds": 17}


def test_a_429_without_a_wait_still_says_when_to_retry() -> None:
    answer = TestClient(_app()).get("/bare")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == str(DEFAULT_RETRY_AFTER_S)


def test_other_errors_send_no_retry_after() -> None:
    assert "Retry-After" not in TestClient(_app()).get("/missing").headers
