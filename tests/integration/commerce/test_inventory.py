"""The ledger and its projection agree; reservations never oversell."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import outbox
from commerce.domain.errors import InsufficientStock, InvalidInput
from commerce.domain.events import utcnow
from commerce.domain.products import Product
from commerce.service_layer import inventory
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def product(uow_factory: UowFactory, ref: Callable[..., str]) -> Product:
    with uow_factory() as uow:
        p = uow.products.add(Product(sku=ref(), name="Lamp", price=Decimal("10"), currency="GBP"))
        uow.commit()
    return p


def _agrees(uow_factory: UowFactory, product: Product) -> tuple[int, int]:
    with uow_factory() as uow:
        assert product.id is not None
        level = uow.inventory.level(product.id)
        sums = uow.inventory.ledger_sums(product.id)
    assert level is not None and sums == (level.available, level.reserved)
    assert level.available == level.on_hand - level.reserved
    return level.available, level.reserved


def _reserve(uow_factory: UowFactory, product: Product, qty: int, order_id: str) -> None:
    with uow_factory() as uow:
        expires = utcnow() + timedelta(minutes=5)
        inventory.reserve(uow, order_id, [(product, qty)], expires)
        uow.commit()


def test_moves_keep_ledger_and_projection_equal(uow_factory: UowFactory, product: Product) -> None:
    inventory.receive_stock(uow_factory(), product.sku, 10)
    _reserve(uow_factory, product, 3, "o1")
    _reserve(uow_factory, product, 2, "o2")
    assert _agrees(uow_factory, product) == (5, 5)
    with uow_factory() as uow:
        assert inventory.release(uow, "o1", "cancelled") == 1
        assert inventory.release(uow, "o1", "cancelled") == 0  # twice changes nothing
        assert inventory.commit_sale(uow, "o2") == 1
        uow.commit()
    assert _agrees(uow_factory, product) == (8, 0)
    inventory.adjust_stock(uow_factory(), product.sku, -8, "cycle count")
    assert _agrees(uow_factory, product) == (0, 0)


def test_reserving_more_than_available_changes_nothing(
    uow_factory: UowFactory, product: Product
) -> None:
    inventory.receive_stock(uow_factory(), product.sku, 2)
    with pytest.raises(InsufficientStock) as caught:
        _reserve(uow_factory, product, 3, "big")
    assert caught.value.items == {product.sku: 2}
    assert _agrees(uow_factory, product) == (2, 0)
    with pytest.raises(InsufficientStock):
        inventory.adjust_stock(uow_factory(), product.sku, -3, "lost")


def test_low_stock_fires_once_when_crossing(
    uow_factory: UowFactory, product: Product, session_factory: sessionmaker[Session]
) -> None:
    inventory.set_low_stock_threshold(uow_factory(), product.sku, 3)
    inventory.receive_stock(uow_factory(), product.sku, 6)
    for i in range(4):  # 6 -> 5 -> 4 -> 3 (crosses) -> 2
        _reserve(uow_factory, product, 1, f"o{i}")
    with session_factory() as s:
        rows = s.execute(
            select(outbox.c.event).where(outbox.c.event["product_id"].as_string() == product.sku)
        ).scalars()
        low = [e for e in rows if e["type"] == "StockLow"]
    assert len(low) == 1 and low[0]["payload"] == {"available": 3, "threshold": 3}
    with uow_factory() as uow:
        listed = [lvl.sku for lvl in uow.inventory.low_stock(limit=1000)]
    assert product.sku in listed


def test_concurrent_reservations_never_oversell(uow_factory: UowFactory, product: Product) -> None:
    inventory.receive_stock(uow_factory(), product.sku, 5)
    start = threading.Barrier(12)
    won: list[str] = []

    def attempt() -> None:
        order_id = str(uuid.uuid4())
        start.wait()
        try:
            _reserve(uow_factory, product, 1, order_id)
            won.append(order_id)
        except InsufficientStock:
            pass

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 5
    assert _agrees(uow_factory, product) == (0, 5)


def test_stock_coming_in_stops_at_the_ceiling_and_returns_still_fit(
    uow_factory: UowFactory, product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On hand is a 32-bit column: receiving past it was a 500, and at its maximum a paid
    order could no longer be cancelled (its restock overflowed)."""
    monkeypatch.setattr(inventory, "MAX_ON_HAND", 1_500)
    inventory.receive_stock(uow_factory(), product.sku, 1_000)
    _reserve(uow_factory, product, 400, "cap-1")
    with uow_factory() as uow:
        inventory.commit_sale(uow, "cap-1")
        uow.commit()
    inventory.receive_stock(uow_factory(), product.sku, 900)  # on hand 600 -> 1,500
    for move in (
        lambda: inventory.receive_stock(uow_factory(), product.sku, 1),
        lambda: inventory.adjust_stock(uow_factory(), product.sku, 1, "count"),
    ):
        with pytest.raises(InvalidInput) as refused:
            move()
        assert refused.value.details == {"field": "quantity", "on_hand": 1_500}
    with uow_factory() as uow:  # the sold 400 come back although that passes the ceiling
        inventory.restock(uow, "cap-1", [(product, 400)])
        uow.commit()
    assert _agrees(uow_factory, product) == (1_900, 0)
