"""The commerce HTTP API over a real database: SQLite and PostgreSQL, fresh per session."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from db_support import fresh_database
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.cache import InProcessCache
from commerce.adapters.db import (
    make_engine,
    make_session_factory,
)
from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider
from commerce.adapters.security import PasswordHasher
from commerce.service_layer.auth import create_admin
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from pipelines.events import CLICKSTREAM
from serving.app import create_app

PASSWORD = "correct horse battery"
SECRET = "e2e-secret-" + "x" * 40


@dataclasses.dataclass
class CommerceTestContainer:
    """The parts of the real container the commerce routes use, over a real database."""

    session_factory: sessionmaker[Session]
    cache: InProcessCache = dataclasses.field(default_factory=InProcessCache)
    event_bus: Any = None
    clickstream_topic: str = CLICKSTREAM
    search: Any = None
    jwt_secret: str = SECRET
    jwt_issuer: str = "emporium"
    jwt_audience: str = "emporium-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)

    def health(self) -> dict[str, dict[str, object]]:
        return {"database": {"healthy": True}}

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from fresh_database(request, request.param, tmp_path_factory.mktemp("e2e"), "test_e2e")


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxPaymentProvider]:
    """The payments sandbox as its own HTTPS process, verified against its generated CA."""
    state = tmp_path_factory.mktemp("payments-sandbox")
    proc = subprocess.Popen(
        [sys.executable, "-m", "commerce.adapters.payments.sandbox_server", "--port", "0",
         "--state-dir", str(state)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (https://\S+) ca=(\S+)", line)
    assert match, f"sandbox did not start: {line!r}"
    provider = SandboxPaymentProvider(match.group(1), Path(match.group(2)), timeout_s=2.0)
    yield provider
    provider.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def container(
    session_factory: sessionmaker[Session], sandbox: SandboxPaymentProvider
) -> CommerceTestContainer:
    extras = {"payment_provider": sandbox, "carrier_webhook_secret": "carrier-test-secret"}
    return CommerceTestContainer(session_factory, extras=extras)


@pytest.fixture
def client(container: CommerceTestContainer) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container)) as test_client:
        yield test_client


def _email() -> str:
    return f"u{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def customer(client: TestClient) -> Callable[[], dict[str, str]]:
    """``customer()`` registers and logs in a new customer; returns its auth headers."""

    def make() -> dict[str, str]:
        email = _email()
        assert (
            client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code
            == 201
        )
        tokens = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    return make


@pytest.fixture
def admin(client: TestClient, session_factory: sessionmaker[Session]) -> dict[str, str]:
    email = _email()
    create_admin(SqlAlchemyUnitOfWork(session_factory), PasswordHasher(), email, PASSWORD)
    tokens = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def sku() -> Callable[[], str]:
    return lambda: f"SKU-{uuid.uuid4().hex[:10]}"


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return str(body["error"]["code"])


@pytest.fixture
def code() -> Callable[[Any], str]:
    return error_code


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def jwt_secret() -> str:
    return SECRET


@pytest.fixture
def stocked(
    client: TestClient, admin: dict[str, str], sku: Callable[[], str]
) -> Callable[..., str]:
    """``stocked(price="4.25", stock=10)`` creates an active product with stock; returns sku."""

    def make(price: str = "4.25", stock: int = 10, currency: str = "GBP", **extra: Any) -> str:
        s = sku()
        body = {"sku": s, "name": f"Item {s}", "price": price, "currency": currency, **extra}
        assert client.post("/admin/products", headers=admin, json=body).status_code == 201
        if stock:
            url = f"/admin/inventory/{s}/receive"
            assert client.post(url, headers=admin, json={"quantity": stock}).status_code == 200
        return s

    return make


@pytest.fixture
def card(sandbox: SandboxPaymentProvider) -> Callable[[str], str]:
    """``card("4242424242424242")`` -> a sandbox token, as a browser would obtain it."""
    return lambda number: str(sandbox.tokenize(number, 12, 2031, "123")["token"])
