"""Loads the Online Retail shop into commerce: catalog, stock, customers, historical orders.

Every part is idempotent, so loading twice changes nothing: products are upserted by sku,
stock is received only for products that have no stock record yet, customers are upserted by
id, and historical orders are keyed by their invoice number (a later load with a larger
``--limit`` adds the invoice lines of the new products, so it ends where one load would).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from commerce.domain.inventory import MAX_ON_HAND, RECEIVED, StockMove
from commerce.domain.orders import DELIVERED, Order, OrderLine
from commerce.domain.pricing import MAX_AMOUNT
from commerce.domain.products import MAX_PRICE, Product
from commerce.domain.users import User
from commerce.service_layer.inventory import receive_stock
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from models.datasets.online_retail import (
    CUSTOMER_COL,
    INVOICE_COL,
    SKU_COL,
    TS_COL,
    build_catalog,
    build_customers,
    clean_online_retail,
    load_online_retail,
)

CURRENCY = "GBP"
UowFactory = Callable[[], SqlAlchemyUnitOfWork]
# The shop's country names as ISO 3166-1 alpha-2 ("" where the data names no single country).
COUNTRY_CODES = {
    "Australia": "AU", "Austria": "AT", "Bahrain": "BH", "Belgium": "BE", "Brazil": "BR",
    "Canada": "CA", "Channel Islands": "JE", "Cyprus": "CY", "Czech Republic": "CZ",
    "Denmark": "DK", "EIRE": "IE", "Finland": "FI", "France": "FR", "Germany": "DE",
    "Greece": "GR", "Hong Kong": "HK", "Iceland": "IS", "Israel": "IL", "Italy": "IT",
    "Japan": "JP", "Lebanon": "LB", "Lithuania": "LT", "Malta": "MT", "Netherlands": "NL",
    "Norway": "NO", "Poland": "PL", "Portugal": "PT", "RSA": "ZA", "Saudi Arabia": "SA",
    "Singapore": "SG", "Spain": "ES", "Sweden": "SE", "Switzerland": "CH", "USA": "US",
    "United Arab Emirates": "AE", "United Kingdom": "GB",
}  # fmt: skip
ORDER_NAMESPACE = uuid.UUID("5f1d7c1e-8a52-4c1b-9a43-6f0e1d2c3b4a")


@dataclass(frozen=True)
class LoadReport:
    products: int
    stocked: int
    customers: int
    orders: int

    def __str__(self) -> str:
        return (f"{self.products} products ({self.stocked} newly stocked), "
                f"{self.customers} customers, {self.orders} new historical orders")  # fmt: skip


def catalog_products(catalog: pd.DataFrame) -> list[Product]:
    """Domain products for the rows of :func:`build_catalog`."""
    return [
        Product(
            sku=row.sku,
            name=row.name,
            description=row.name,
            price=Decimal(str(row.price)),
            currency=CURRENCY,
            attributes={"source": "uci-online-retail"},
            created_at=row.first_sold.to_pydatetime(),
        )
        for row in catalog.itertuples(index=False)
    ]


def _stock_new_products(uow_factory: UowFactory, catalog: pd.DataFrame) -> int:
    with uow_factory() as uow:
        ids = {p.sku: p.id for p in uow.products.get_many(catalog[SKU_COL]).values()}
        stocked = uow.inventory.levels([i for i in ids.values() if i is not None])
    fresh = catalog[catalog[SKU_COL].map(lambda s: ids.get(s) not in stocked)]
    for row in fresh.itertuples(index=False):
        receive_stock(uow_factory(), row.sku, int(row.initial_stock))
    return len(fresh)


def _customers(clean: pd.DataFrame) -> list[User]:
    rows = build_customers(clean).itertuples(index=False)
    return [
        User(row.customer_id, None, None, country=COUNTRY_CODES.get(row.country) or None)
        for row in rows
    ]


def historical_orders(clean: pd.DataFrame, product_ids: dict[str, int]) -> list[Order]:
    """One delivered order per invoice of a known customer, at its original time."""
    known = clean.dropna(subset=[CUSTOMER_COL])
    orders = []
    for invoice, lines in known.groupby(INVOICE_COL, sort=False):
        first = lines.iloc[0]
        order_lines = [
            OrderLine(product_ids[r.sku], r.sku, r.description or r.sku,
                      Decimal(str(r.unit_price)), int(r.quantity),
                      (Decimal(str(r.unit_price)) * int(r.quantity)).quantize(Decimal("0.01")))
            for r in lines.itertuples(index=False)
        ]  # fmt: skip
        total = sum((line.line_total for line in order_lines), Decimal("0"))
        placed = first[TS_COL].to_pydatetime()
        orders.append(Order(
            id=str(uuid.uuid5(ORDER_NAMESPACE, str(invoice))), user_id=first[CUSTOMER_COL],
            currency=CURRENCY, lines=order_lines, subtotal=total, tax=Decimal("0"),
            shipping=Decimal("0"), total=total, country=COUNTRY_CODES.get(first["country"], ""),
            status=DELIVERED, source="historical", external_ref=str(invoice),
            placed_at=placed, updated_at=placed,
        ))  # fmt: skip
    return orders


def _with_product_ids(orders: list[Order], ids: dict[str, int]) -> list[Order]:
    """``orders`` with each line's product id looked up by its sku."""
    for order in orders:
        order.lines = [dataclasses.replace(line, product_id=ids[line.sku]) for line in order.lines]
    return orders


def check_orders(orders: list[Order]) -> None:
    """Refuse (ValueError) an order line or total the order tables cannot hold."""
    for order in orders:
        for line in order.lines:
            if not 1 <= line.quantity <= MAX_ON_HAND:
                raise ValueError(
                    f"invoice {order.external_ref}: quantity {line.quantity} of {line.sku} "
                    f"is not 1..{MAX_ON_HAND:,}"
                )
            if not 0 <= line.unit_price <= MAX_PRICE:
                raise ValueError(
                    f"invoice {order.external_ref}: unit price {line.unit_price} of {line.sku} "
                    f"is not 0..{MAX_PRICE}"
                )
        if order.total > MAX_AMOUNT:
            raise ValueError(
                f"invoice {order.external_ref}: total {order.total} is past {MAX_AMOUNT}"
            )


def load_online_retail_shop(
    data_dir: Path, uow_factory: UowFactory, limit: int | None = None
) -> LoadReport:
    """Load the Online Retail shop (the shared cleaning rule applied) into the database.

    ``limit`` keeps only the first N products (by sku) and the sales of those products.
    """
    clean = clean_online_retail(load_online_retail(data_dir))
    catalog = build_catalog(clean)
    if limit is not None:
        catalog = catalog.head(limit)
        clean = clean[clean[SKU_COL].isin(catalog[SKU_COL])]
    products = catalog_products(catalog)  # checks every product before anything is written
    for row in catalog.itertuples(index=False):
        StockMove(RECEIVED, int(row.initial_stock))  # and every initial stock
    # And every order. The product ids exist only once the products are written, so the
    # orders are built (the slow part: 12 s for the whole shop) once, with ids filled in later.
    orders = historical_orders(clean, dict.fromkeys(catalog[SKU_COL], 0))
    check_orders(orders)
    with uow_factory() as uow:
        count = uow.products.upsert_many(products)
        customers = uow.users.upsert_many(_customers(clean))
        uow.commit()
    stocked = _stock_new_products(uow_factory, catalog)
    with uow_factory() as uow:
        ids = {sku: p.id for sku, p in uow.products.get_many(catalog[SKU_COL]).items()}
        added = uow.orders.add_historical(_with_product_ids(orders, ids))  # type: ignore[arg-type]
        uow.commit()
    return LoadReport(count, stocked, customers, added)
