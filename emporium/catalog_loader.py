"""Loads a dataset's shop (catalog, and later customers and historical orders) into commerce."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from commerce.domain.products import Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from models.datasets.online_retail import (
    build_catalog,
    clean_online_retail,
    load_online_retail,
)

CURRENCY = "GBP"


def catalog_products(catalog: pd.DataFrame) -> list[Product]:
    """Domain products for the rows of :func:`build_catalog`."""
    return [
        Product(
            sku=row.sku,
            name=row.name,
            description=row.name,
            price=Decimal(str(row.price)),
            currency=CURRENCY,
            attributes={"source": "uci-online-retail", "initial_stock": int(row.initial_stock)},
            created_at=row.first_sold.to_pydatetime(),
        )
        for row in catalog.itertuples(index=False)
    ]


def load_online_retail_catalog(
    data_dir: Path,
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    limit: int | None = None,
) -> int:
    """Upsert the Online Retail catalog (the shared cleaning rule applied); returns the count.

    Running it twice changes nothing: products are upserted by sku in one transaction.
    """
    catalog = build_catalog(clean_online_retail(load_online_retail(data_dir)))
    if limit is not None:
        catalog = catalog.head(limit)
    products = catalog_products(catalog)
    with uow_factory() as uow:
        count = uow.products.upsert_many(products)
        uow.commit()
    return count
