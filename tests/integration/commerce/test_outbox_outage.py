"""Orders placed while the bus is down reach it exactly once after it returns."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import outbox
from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.domain.pricing import PricingRules
from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer import inventory
from commerce.service_layer.checkout import CheckoutRequest, place_order
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from pipelines.events import Event
from pipelines.events.disklog import DiskLogEventBus
from pipelines.events.errors import EventBusError
from pipelines.events.relay import relay_once

ADDRESS = {"name": "N", "line1": "1", "city": "C", "postcode": "P"}


class SwitchableBus:
    """The real on-disk log behind a power switch: while off, publishing fails like a
    broker outage (nothing written), so the relay must keep rows pending."""

    def __init__(self, real: DiskLogEventBus) -> None:
        self.real, self.up = real, False

    def publish(self, topic: str, events: Iterable[Event]) -> None:
        if not self.up:
            raise EventBusError("bus unreachable", topic=topic)
        self.real.publish(topic, events)


def _orders(uow_factory: Callable[[], SqlAlchemyUnitOfWork], n: int) -> list[str]:
    sku = f"OB-{uuid.uuid4().hex[:8]}"
    with uow_factory() as uow:
        product = uow.products.add(Product(sku=sku, name="n", price=Decimal("2"), currency="GBP"))
        users = [User(f"ob-{uuid.uuid4().hex}", None, None) for _ in range(n)]
        uow.users.upsert_many(users)
        uow.commit()
    inventory.receive_stock(uow_factory(), sku, n)
    order_ids = []
    for user in users:
        with uow_factory() as uow:
            assert product.id is not None
            uow.carts.set_quantity(uow.carts.for_user(user.id), product.id, 1)
            uow.commit()
        req = CheckoutRequest(user.id, "k", "GB", ADDRESS)
        order_ids.append(place_order(uow_factory(), req, PricingRules()).id)
    return order_ids


def test_events_survive_a_bus_outage_and_arrive_once(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    source = SqlAlchemyOutboxSource(session_factory, parse=Event.model_validate)
    while source.fetch_unpublished(1000):  # start from a drained outbox
        source.mark_published([i for i, _, _ in source.fetch_unpublished(1000)])
    with session_factory() as s:
        earlier = {str(e) for e in s.execute(select(outbox.c.event_id)).scalars()}
    real = DiskLogEventBus(tmp_path / "events")
    bus = SwitchableBus(real)
    order_ids = _orders(uow_factory, 5)
    try:
        relay_once(source, bus)  # type: ignore[arg-type]
        raise AssertionError("publishing to a downed bus must fail")
    except EventBusError:
        pass
    bus.up = True
    while relay_once(source, bus, batch_size=7):  # type: ignore[arg-type]
        pass
    with session_factory() as s:
        expected = {str(e) for e in s.execute(select(outbox.c.event_id)).scalars()} - earlier
    arrived = [c.event.event_id for c in real.consume("commerce", "test", max_events=100_000)]
    assert len(arrived) == len(set(arrived))  # exactly once
    assert {str(e) for e in arrived} == expected
    placed = {c.event.payload["order_id"] for c in real.consume("commerce", "t2", 100_000)
              if c.event.type == "OrderPlaced"}  # fmt: skip
    assert placed == set(order_ids)
    real.close()
