"""``emporium worker`` relays an outbox row to the bus, then deletes it once it was published
longer ago than EMPORIUM_EVENTS__OUTBOX_KEEP_HOURS: before, published rows stayed forever."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from worker_support import run_worker_until

from commerce.adapters.orm import outbox
from commerce.service_layer import catalog
from emporium.cli_db import migrate
from emporium.engines import database_sessions, unit_of_work_factory
from emporium.settings import Settings
from pipelines.events import COMMERCE
from pipelines.events.factory import event_bus_from_url


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL", "PAYMENTS__URL"):
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EMPORIUM_EVENTS__OUTBOX_KEEP_HOURS", "0.0005")  # 1.8 s
    built = Settings()
    migrate(built)
    return built


def _outbox_rows(settings: Settings) -> int:
    with database_sessions(settings.database_url) as sessions, sessions() as session:
        return int(session.execute(select(func.count()).select_from(outbox)).scalar_one())


def _published(settings: Settings) -> list[str]:
    bus = event_bus_from_url(settings.events_url)
    try:
        return [c.event.type for c in bus.consume(COMMERCE, "audit", 1000, timeout_s=0)]
    finally:
        bus.close()


def test_the_worker_deletes_outbox_rows_it_published_past_the_retention(
    settings: Settings, tmp_path: Path
) -> None:
    mug = {"sku": "MUG-1", "name": "Mug", "description": "", "price": Decimal("5.00"),
           "currency": "GBP"}  # fmt: skip
    with unit_of_work_factory(settings.database_url) as uow:
        catalog.create_product(uow(), mug)
    assert _outbox_rows(settings) == 1
    log = tmp_path / "worker.log"
    run_worker_until(lambda: _outbox_rows(settings) == 0, log)
    assert _outbox_rows(settings) == 0, log.read_text()
    assert _published(settings) == ["ProductCreated"]  # relayed first, once
