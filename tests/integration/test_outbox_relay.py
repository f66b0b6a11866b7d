"""Commerce's outbox table, relayed onto the disk log: on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.db import (
    create_schema,
    drop_schema,
    make_engine,
    make_session_factory,
    upgrade,
)
from commerce.adapters.orm import outbox
from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.domain.events import ProductCreated, utcnow
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
    _prune_published(session_factory, source, tmp_path)
    assert {e.type for e in delivered} == {"ProductCreated"}
    assert delivered[0].payload["price"] == "2.55"


def _count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.execute(select(func.count()).select_from(outbox)).scalar_one())


def _prune_published(
    session_factory: sessionmaker[Session], source: SqlAlchemyOutboxSource[Event], tmp_path: Path
) -> None:
    """After the relay: published rows go once older than the cut-off, in batches; a row not
    yet published and a dead letter stay."""
    with SqlAlchemyUnitOfWork(session_factory) as uow:  # pending: never pruned
        uow.emit(ProductCreated(product_id="LATE", sku="LATE", name="mug", price=Decimal("1"),
                                currency="GBP", category_path="home"))  # fmt: skip
        uow.commit()
    with session_factory.begin() as session:  # a dead letter: set aside, never published
        now = utcnow()
        bad = {"topic": COMMERCE, "event_id": str(uuid.uuid4()), "event": {"bad": True}}
        session.execute(insert(outbox).values(**bad, created_at=now, failed_at=now))
    assert _count(session_factory) == 7
    assert source.prune_published(utcnow() - timedelta(hours=1)) == 0  # published just now
    assert source.prune_published(utcnow() + timedelta(seconds=1), batch=2) == 5
    assert _count(session_factory) == 2 and source.pending_count() == 1
    assert len(source.dead_letters()) == 1
