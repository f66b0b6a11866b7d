"""An order placed through the service layer, for tests of what happens to it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from commerce.domain.pricing import PricingRules
from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer import inventory
from commerce.service_layer.checkout import CheckoutRequest, place_order
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
ADDRESS = {"name": "N", "line1": "1", "city": "C", "postcode": "P"}


def placed_order(uow_factory: UowFactory, prefix: str, ttl: timedelta) -> tuple[Product, str]:
    """A new product (4 in stock, 3.00 GBP) and a new user's order for 3 of it, placed and
    awaiting payment, its reservation living ``ttl``. Returns the product and the order id."""
    sku = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user = User(f"{prefix.lower()}-{uuid.uuid4().hex}", None, None)
    with uow_factory() as uow:
        product = uow.products.add(Product(sku=sku, name="n", price=Decimal("3"), currency="GBP"))
        uow.users.upsert_many([user])
        uow.commit()
    inventory.receive_stock(uow_factory(), sku, 4)
    with uow_factory() as uow:
        assert product.id is not None
        uow.carts.set_quantity(uow.carts.for_user(user.id), product.id, 3)
        uow.commit()
    request = CheckoutRequest(user.id, uuid.uuid4().hex, "GB", ADDRESS)
    return product, place_order(uow_factory(), request, PricingRules(), ttl=ttl).id
