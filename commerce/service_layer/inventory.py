"""Inventory use cases. Reservation helpers run inside the caller's unit of work so a
checkout's reservations and its order commit (or roll back) together."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from commerce.domain import events
from commerce.domain.errors import InsufficientStock, InvalidInput, ProductNotFound
from commerce.domain.inventory import (
    ADJUSTED,
    MAX_ON_HAND,
    RECEIVED,
    RELEASED,
    RESERVED,
    RETURNED,
    SOLD,
    StockLevel,
    StockMove,
    crossed_low,
)
from commerce.domain.products import Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

RESERVATION_TTL = timedelta(minutes=15)


def _product(uow: SqlAlchemyUnitOfWork, sku: str) -> Product:
    product = uow.products.get(sku)
    if product is None or product.id is None:
        raise ProductNotFound(f"no product with sku {sku!r}", {"sku": sku})
    return product


def _change(
    uow: SqlAlchemyUnitOfWork, product: Product, move: StockMove, **refs: str | None
) -> int:
    """Apply one move and emit StockLow when it takes availability down to the threshold."""
    assert product.id is not None
    if move.available_delta > 0:  # only stock-adding moves can meet a missing row
        uow.inventory.ensure(product.id)
    # Only stock coming in from outside is capped; returns and restocks always fit.
    ceiling = MAX_ON_HAND if move.kind in (RECEIVED, ADJUSTED) else None
    result = uow.inventory.apply(product.id, move, ceiling=ceiling, **refs)
    if result is None:
        level = uow.inventory.level(product.id)
        if ceiling is not None and level and level.on_hand + move.on_hand_delta > ceiling:
            raise InvalidInput(
                f"stock on hand is limited to {MAX_ON_HAND}",
                {"field": "quantity", "on_hand": level.on_hand},
            )
        raise InsufficientStock({product.sku: level.available if level else 0})
    after, threshold = result
    # The UPDATE was atomic, so the state before it is exactly after - delta.
    if crossed_low(after - move.available_delta, after, threshold):
        uow.emit(events.StockLow(product_id=product.sku, available=after, threshold=threshold))
    return after


def receive_stock(uow: SqlAlchemyUnitOfWork, sku: str, quantity: int) -> int:
    with uow:
        product = _product(uow, sku)
        available = _change(uow, product, StockMove(RECEIVED, quantity))
        uow.emit(events.StockReceived(product_id=sku, quantity=quantity, available=available))
        uow.commit()
    return available


def adjust_stock(uow: SqlAlchemyUnitOfWork, sku: str, delta: int, reason: str) -> int:
    """A stock count correction (positive or negative); never below what is reserved."""
    if not reason.strip():
        raise InvalidInput("an adjustment needs a reason", {"field": "reason"})
    with uow:
        product = _product(uow, sku)
        available = _change(uow, product, StockMove(ADJUSTED, delta), reason=reason[:200])
        uow.emit(events.StockAdjusted(product_id=sku, quantity=delta, available=available,
                                      reason=reason[:200]))  # fmt: skip
        uow.commit()
    return available


def set_low_stock_threshold(uow: SqlAlchemyUnitOfWork, sku: str, threshold: int) -> None:
    if not 0 <= threshold <= 1_000_000:
        raise InvalidInput("threshold out of range", {"field": "threshold"})
    with uow:
        product = _product(uow, sku)
        assert product.id is not None
        uow.inventory.ensure(product.id)
        uow.inventory.set_threshold(product.id, threshold)
        uow.commit()


def stock_level(uow: SqlAlchemyUnitOfWork, sku: str) -> StockLevel:
    with uow:
        product = _product(uow, sku)
        assert product.id is not None
        uow.inventory.ensure(product.id)
        level = uow.inventory.level(product.id)
        uow.commit()
    assert level is not None
    return level


def reserve(
    uow: SqlAlchemyUnitOfWork,
    order_id: str,
    lines: Sequence[tuple[Product, int]],
    expires_at: datetime,
    user_id: str | None = None,
) -> None:
    """Reserve every line or none (raises InsufficientStock listing every short line).

    Rows are changed in product-id order so two checkouts never wait on each other in a
    cycle (no deadlocks on PostgreSQL).
    """
    short: dict[str, int] = {}
    for product, quantity in sorted(lines, key=lambda line: line[0].id or 0):
        try:
            _reserve_line(uow, order_id, product, quantity, expires_at, user_id)
        except InsufficientStock as e:
            short.update(e.items)
    if short:
        raise InsufficientStock(short)


def _reserve_line(
    uow: SqlAlchemyUnitOfWork,
    order_id: str,
    product: Product,
    quantity: int,
    expires_at: datetime,
    user_id: str | None,
) -> None:
    reservation_id = str(uuid.uuid4())
    available = _change(uow, product, StockMove(RESERVED, quantity),
                        reservation_id=reservation_id, order_id=order_id)  # fmt: skip
    uow.inventory.add_reservation({
        "id": reservation_id, "order_id": order_id, "product_id": product.id,
        "quantity": quantity, "status": "active", "expires_at": expires_at,
        "created_at": events.utcnow(),
    })  # fmt: skip
    uow.emit(events.StockReserved(product_id=product.sku, user_id=user_id, order_id=order_id,
                                  reservation_id=reservation_id, quantity=quantity,
                                  available=available))  # fmt: skip


def release(uow: SqlAlchemyUnitOfWork, order_id: str, reason: str) -> int:
    """Give back an order's active reservations (expiry, cancel, payment failure).

    Safe to call twice or concurrently: each reservation closes exactly once.
    Returns the number of reservations released.
    """
    status = "expired" if reason == "expired" else "released"
    released = 0
    for res in uow.inventory.active_reservations(order_id):
        if not uow.inventory.close_reservation(res.id, status):
            continue
        move = StockMove(RELEASED, res.quantity)
        uow.inventory.apply(res.product_id, move, reservation_id=res.id, order_id=order_id,
                            reason=reason)  # fmt: skip
        uow.emit(events.StockReleased(product_id=_sku(uow, res.product_id), order_id=order_id,
                                      reservation_id=res.id, quantity=res.quantity,
                                      reason=reason))  # fmt: skip
        released += 1
    return released


def commit_sale(uow: SqlAlchemyUnitOfWork, order_id: str) -> int:
    """Turn an order's reservations into sales (payment captured). Returns lines sold."""
    sold = 0
    for res in uow.inventory.active_reservations(order_id):
        if uow.inventory.close_reservation(res.id, "consumed"):
            uow.inventory.apply(res.product_id, StockMove(SOLD, res.quantity),
                                reservation_id=res.id, order_id=order_id)  # fmt: skip
            uow.emit(events.StockSold(product_id=_sku(uow, res.product_id), order_id=order_id,
                                      quantity=res.quantity))  # fmt: skip
            sold += 1
    return sold


def restock(uow: SqlAlchemyUnitOfWork, order_id: str, lines: Sequence[tuple[Product, int]]) -> None:
    """Returned goods go back on the shelf."""
    for product, quantity in sorted(lines, key=lambda line: line[0].id or 0):
        _change(uow, product, StockMove(RETURNED, quantity), order_id=order_id)
        uow.emit(events.StockReturned(product_id=product.sku, order_id=order_id,
                                      quantity=quantity))  # fmt: skip


def _sku(uow: SqlAlchemyUnitOfWork, product_id: int) -> str:
    level = uow.inventory.level(product_id)
    return level.sku if level else str(product_id)
