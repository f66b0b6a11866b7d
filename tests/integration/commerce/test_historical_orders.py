"""The catalog loader's bulk paths: customers and historical orders with original times."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from commerce.domain.orders import DELIVERED, Order, OrderLine
from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def test_historical_orders_load_once_with_their_timestamps(uow_factory: UowFactory) -> None:
    customer = User(str(uuid.uuid4().int % 10**8), None, None, country="United Kingdom")
    sku, invoice = f"H-{uuid.uuid4().hex[:6]}", f"536{uuid.uuid4().int % 10**6}"
    placed = datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    with uow_factory() as uow:
        uow.users.upsert_many([customer, customer])
        product = uow.products.add(Product(sku=sku, name="T-light", price=Decimal("2.55"),
                                           currency="GBP"))  # fmt: skip
        assert product.id is not None
        line = OrderLine(product.id, sku, "T-light", Decimal("2.55"), 6, Decimal("15.30"))
        order = Order(
            id=str(uuid.uuid4()), user_id=customer.id, currency="GBP", lines=[line],
            subtotal=Decimal("15.30"), tax=Decimal("0"), shipping=Decimal("0"),
            total=Decimal("15.30"), country="GB", status=DELIVERED, source="historical",
            external_ref=invoice, placed_at=placed, updated_at=placed,
        )  # fmt: skip
        assert uow.orders.add_historical([order]) == 1
        uow.commit()
    with uow_factory() as uow:
        again = Order(**{**order.__dict__, "id": str(uuid.uuid4())})
        assert uow.orders.add_historical([again]) == 0  # same invoice: loading twice is a no-op
        uow.commit()
    with uow_factory() as uow:
        stored = uow.orders.get(order.id)
        paid, average = uow.orders.paid_history(customer.id)
    assert stored is not None and stored.placed_at == placed and stored.lines == [line]
    assert (paid, average) == (1, Decimal("15.30"))
