"""Catalog administration: create, update, archive. Each emits its event via the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commerce.domain import events
from commerce.domain.errors import ProductNotFound
from commerce.domain.products import ACTIVE, Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


def create_product(
    uow: SqlAlchemyUnitOfWork, fields: dict[str, Any], request_id: str | None = None
) -> Product:
    product = Product(**fields)
    with uow:
        uow.products.add(product)
        uow.emit(
            events.ProductCreated(
                product_id=product.sku,
                request_id=request_id,
                sku=product.sku,
                name=product.name,
                price=product.price,
                currency=product.currency,
                category_path=product.category_path,
            )
        )
        uow.commit()
    return product


def update_product(
    uow: SqlAlchemyUnitOfWork,
    sku: str,
    changes: dict[str, Any],
    expected_version: int | None = None,
    request_id: str | None = None,
) -> Product:
    """Apply ``changes``; with ``expected_version`` a stale editor gets a version conflict."""
    with uow:
        product = _get(uow, sku)
        if expected_version is not None:
            product.version = expected_version
        applied = product.update(changes)
        if applied:
            uow.products.save(product)
            uow.emit(
                events.ProductUpdated(
                    product_id=sku, request_id=request_id, sku=sku, changes=applied
                )
            )
        uow.commit()
    return product


def archive_product(uow: SqlAlchemyUnitOfWork, sku: str, request_id: str | None = None) -> Product:
    with uow:
        product = _get(uow, sku)
        product.archive()
        uow.products.save(product)
        uow.emit(events.ProductArchived(product_id=sku, request_id=request_id, sku=sku))
        uow.commit()
    return product


def _get(uow: SqlAlchemyUnitOfWork, sku: str) -> Product:
    product = uow.products.get(sku)
    if product is None:
        raise ProductNotFound(f"no product with sku {sku!r}", {"sku": sku})
    return product


def sellable(uow: SqlAlchemyUnitOfWork, skus: Sequence[str]) -> set[str]:
    """The SKUs among ``skus`` a shopper can buy now: listed (active) and with stock available.

    Unknown SKUs and products without a stock record are not sellable.
    """
    products = uow.products.get_many(skus)
    active = {p.id: p.sku for p in products.values() if p.status == ACTIVE and p.id is not None}
    levels = uow.inventory.levels(list(active))
    return {active[pid] for pid, level in levels.items() if level.available > 0}
