"""catalog.sellable: listed products with stock available, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from commerce.domain.products import ARCHIVED, Product
from commerce.service_layer import catalog, inventory
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def test_only_listed_products_with_available_stock_are_sellable(
    uow_factory: UowFactory, ref: Callable[..., str]
) -> None:
    in_stock, sold_out, delisted, untracked = (ref() for _ in range(4))
    with uow_factory() as uow:
        for sku in (in_stock, sold_out, delisted, untracked):
            status = ARCHIVED if sku == delisted else "active"
            uow.products.add(
                Product(sku=sku, name="Lamp", price=Decimal("10"), currency="GBP", status=status)
            )
        uow.commit()
    for sku in (in_stock, delisted):
        inventory.receive_stock(uow_factory(), sku, 3)
    inventory.receive_stock(uow_factory(), sold_out, 1)
    inventory.adjust_stock(uow_factory(), sold_out, -1, "damaged")
    with uow_factory() as uow:
        ids = uow.products.get_many([untracked])[untracked].id
        assert ids is not None and uow.inventory.level(ids) is None  # never stocked
        found = catalog.sellable(uow, [in_stock, sold_out, delisted, untracked, "no-such-sku"])
    assert found == {in_stock}
