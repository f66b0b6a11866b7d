"""An erased account through the whole chain on embedded engines: the API's clickstream and
the outbox's ``AccountDeleted`` on the event log, then ``emporium ingest`` and ``emporium
batch`` in their own processes, as a scheduled run would. Silver and gold keep the erased
user's views only as a visitor's; ``emporium compact`` then drops them from bronze."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.service_layer import catalog
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.engines import database_sessions, event_topics
from emporium.wiring import Container
from pipelines.events import Event
from pipelines.events.factory import event_bus_from_url
from pipelines.events.relay import relay_once
from serving.app import create_app

pytestmark = [pytest.mark.spark, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _customer(client: TestClient, name: str) -> tuple[str, dict[str, str]]:
    login = {"email": f"{name}@example.com", "password": PASSWORD}
    assert client.post("/auth/register", json=login).status_code == 201
    token = client.post("/auth/login", json=login).json()["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    return client.get("/me", headers=me).json()["id"], me


def _view(client: TestClient, me: dict[str, str], sku: str, session: str) -> None:
    event = {"type": "product_view", "product_id": sku, "session_id": session}
    assert client.post("/events", headers=me, json={"events": [event]}).json()["accepted"] == 1


def _emporium(*args: str) -> str:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run([sys.executable, "-m", "emporium.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"emporium {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def test_an_erased_account_leaves_silver_and_gold_but_its_views_still_count(
    container: Container,
) -> None:
    settings = container.settings
    for sku in ("MUG", "CUP"):
        product = {"sku": sku, "name": sku, "price": Decimal("2.00"), "currency": "GBP"}
        catalog.create_product(SqlAlchemyUnitOfWork(container.session_factory), product)
    with TestClient(create_app(lambda: container)) as client:
        gone, gone_me = _customer(client, "gone")
        kept, kept_me = _customer(client, "kept")
        _view(client, gone_me, "MUG", "s-gone")
        _view(client, gone_me, "CUP", "s-gone")
        _view(client, kept_me, "MUG", "s-kept")
        erase = {"current_password": PASSWORD}
        assert client.request("DELETE", "/users/me", headers=gone_me, json=erase).status_code == 204
    bus = event_bus_from_url(settings.events_url)  # the worker's relay, once
    try:
        with database_sessions(settings.database_url) as sessions:
            source = SqlAlchemyOutboxSource(sessions, parse=Event.model_validate)
            assert relay_once(source, bus, topics=event_topics(settings))
    finally:
        bus.close()

    _emporium("ingest")
    _emporium("batch")

    lake = settings.lake_path
    silver = pd.read_parquet(lake / "silver" / "events")
    assert "AccountDeleted" in set(silver["type"])
    assert gone not in set(silver["user_id"]) and kept in set(silver["user_id"])
    assert not silver["session"].str.contains(gone).any()
    for table in ("interactions", "user_features"):
        users = set(pd.read_parquet(lake / "gold" / table)["user_id"])
        assert users == {kept}, table
    views = pd.read_parquet(lake / "gold" / "item_features").set_index("product_id")["n_views"]
    assert views.to_dict() == {"MUG": 2, "CUP": 1}  # the erased user's views, as a visitor's

    # Compaction then leaves their events out of bronze too, today's files included.
    report = json.loads(_emporium("compact"))["bronze.events"]
    # Their two views and their UserRegistered; their AccountDeleted stays (it names no one).
    assert (report["accounts_erased"], report["rows_erased"]) == (1, 3), report
    again = json.loads(_emporium("compact"))["bronze.events"]
    assert (again["accounts_erased"], again["rows_erased"]) == (1, 0), again
