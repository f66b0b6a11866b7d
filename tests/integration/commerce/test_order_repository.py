"""Finding one order: the lookup every order use case (and refunds) shares."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commerce.domain.errors import OrderNotFound
from commerce.domain.orders import DELIVERED, Order, OrderLine
from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def _stored_order(uow_factory: UowFactory) -> Order:
    customer = User(str(uuid.uuid4().int % 10**8), None, None, country="United Kingdom")
    sku, placed = f"R-{uuid.uuid4().hex[:6]}", datetime(2011, 1, 2, 9, tzinfo=UTC)
    with uow_factory() as uow:
        uow.users.upsert_many([customer])
        product = uow.products.add(Product(sku=sku, name="Mug", price=Decimal("5.00"),
                                           currency="GBP"))  # fmt: skip
        assert product.id is not None
        line = OrderLine(product.id, sku, "Mug", Decimal("5.00"), 1, Decimal("5.00"))
        order = Order(
            id=str(uuid.uuid4()), user_id=customer.id, currency="GBP", lines=[line],
            subtotal=Decimal("5.00"), tax=Decimal("0"), shipping=Decimal("0"),
            total=Decimal("5.00"), country="GB", status=DELIVERED, placed_at=placed,
            updated_at=placed,
        )  # fmt: skip
        uow.orders.add(order)
        uow.commit()
    return order


@pytest.mark.parametrize("for_update", [False, True])
def test_require_finds_an_order_for_its_owner_or_anyone(
    uow_factory: UowFactory, for_update: bool
) -> None:
    order = _stored_order(uow_factory)
    with uow_factory() as uow:
        assert uow.orders.require(order.id, for_update=for_update).id == order.id
        mine = uow.orders.require(order.id, user_id=order.user_id, for_update=for_update)
        assert mine.id == order.id and mine.total == Decimal("5.00")


def test_require_answers_someone_elses_order_like_a_missing_one(
    uow_factory: UowFactory,
) -> None:
    order, missing = _stored_order(uow_factory), str(uuid.uuid4())
    with uow_factory() as uow:
        for order_id, user_id in ((order.id, "someone-else"), (missing, None)):
            with pytest.raises(OrderNotFound) as refused:
                uow.orders.require(order_id, user_id=user_id)
            assert refused.value.code == "order_not_found"
            assert (refused.value.message, refused.value.details) == (
                "no such order", {"order_id": order_id},
            )  # fmt: skip
