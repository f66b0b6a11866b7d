"""Commerce's outbox table, relayed onto the disk log: on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.db import (
    create_schema,
    drop_schema,
    make_engine,
    make_session_factory,
    upgrade,
)
from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.domain.events import ProductCreated
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.envelope import Event
from pipelines.events.errors import BusUnavailable
from pipelines.events.relay import relay_once
from pipelines.events.topics import COMMERCE


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def session_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """A freshly migrated commerce database of this test's own."""
    base: str | None = None
    schema = f"test_relay_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'commerce.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        url = create_schema(base, schema)
    try:
        upgrade(url)
        engine = make_engine(url)
        yield make_session_factory(engine)
        engine.dispose()
    finally:
        if base is not None:
            drop_schema(base, schema)


class DownBus(DiskLogEventBus):
    def publish(self, topic: str, events: Iterable[Event]) -> None:
        raise BusUnavailable("bus is down")


def test_outbox_rows_reach_the_bus_once_even_after_an_outage(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    skus = [f"SKU-{n}A" for n in range(5)]
    for sku in skus:
        with SqlAlchemyUnitOfWork(session_factory) as uow:
            uow.emit(
                ProductCreated(
                    product_id=sku,
                    sku=sku,
                    name="mug",
                    price=Decimal("2.55"),
                    currency="GBP",
                    category_path="home/kitchen",
                )
            )
            uow.commit()
    source = SqlAlchemyOutboxSource(session_factory, Event.model_validate)

    with pytest.raises(BusUnavailable):
        relay_once(source, DownBus(tmp_path / "down"), batch_size=2)
    assert source.pending_count() == 5

    bus = DiskLogEventBus(tmp_path / "log")
    assert sum(relay_once(source, bus, batch_size=2) for _ in range(4)) == 5
    assert source.pending_count() == 0
    delivered = [c.event for c in bus.consume(COMMERCE, "audit", timeout_s=0)]
    assert [e.product_id for e in delivered] == skus
    assert {e.type for e in delivered} == {"ProductCreated"}
    assert delivered[0].payload["price"] == "2.55"
