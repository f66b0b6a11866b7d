"""The catalog loader's bulk paths: customers and historical orders with original times."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

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

    # A later load of more of the catalog brings more of the invoice; a smaller one does not
    # take lines away (catalog load --limit 50, then --limit 60, equals --limit 60).
    more = [line, OrderLine(product.id, sku, "T-light", Decimal("2.55"), 2, Decimal("5.10"))]
    bigger = Order(**{**order.__dict__, "id": str(uuid.uuid4()), "lines": more,
                      "subtotal": Decimal("20.40"), "total": Decimal("20.40")})  # fmt: skip
    for copy in (bigger, order):
        with uow_factory() as uow:
            assert uow.orders.add_historical([copy]) == 0
            uow.commit()
        with uow_factory() as uow:
            stored = uow.orders.get(order.id)
        assert stored is not None and stored.lines == more and stored.total == Decimal("20.40")


def test_fraud_model_trains_on_order_history(uow_factory: UowFactory, tmp_path: Path) -> None:
    from commerce.domain.fraud import features
    from commerce.service_layer.fraud import load_anomaly_model, train_anomaly_model

    customer = User(f"hist-{uuid.uuid4().hex[:8]}", None, None)
    sku = f"F-{uuid.uuid4().hex[:6]}"
    with uow_factory() as uow:
        uow.users.upsert_many([customer])
        product = uow.products.add(Product(sku=sku, name="n", price=Decimal("5"), currency="GBP"))
        assert product.id is not None
        uow.orders.add_historical(
            [_history_order(customer.id, product.id, sku, i) for i in range(80)]
        )
        uow.commit()
    assert train_anomaly_model(uow_factory, tmp_path / "fraud.pkl") >= 80
    model = load_anomaly_model(tmp_path / "fraud.pkl")
    assert model is not None
    assert model.anomaly(features(Decimal("25000"), 400, 3)) >= 0.8
    assert load_anomaly_model(tmp_path / "missing.pkl") is None


def _history_order(user_id: str, product_id: int, sku: str, i: int) -> Order:
    qty = 1 + i % 4
    total = Decimal("5.00") * qty
    placed = datetime(2011, 1, 1 + i % 28, 9 + i % 10, tzinfo=UTC)
    line = OrderLine(product_id, sku, "n", Decimal("5.00"), qty, total)
    return Order(
        id=str(uuid.uuid4()), user_id=user_id, currency="GBP", lines=[line], subtotal=total,
        tax=Decimal("0"), shipping=Decimal("0"), total=total, country="GB", status=DELIVERED,
        source="historical", external_ref=f"F{uuid.uuid4().hex[:12]}", placed_at=placed,
        updated_at=placed,
    )  # fmt: skip
