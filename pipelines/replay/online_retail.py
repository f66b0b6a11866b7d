"""Online Retail → catalog ``ProductCreated`` and historical ``OrderPlaced`` events.

Uses the shop's one cleaning rule (``models.datasets.online_retail.clean_online_retail``) and
catalog rule (``build_catalog``), so the replayed shop is the same shop the catalog loader and
the model benchmarks see. Invoice times are taken as UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from models.datasets import online_retail as ds
from pipelines.replay.common import TopicEvent, order_placed, product_created

DATASET = "online-retail"


def load_clean(data_dir: Path) -> pd.DataFrame:
    """The clean invoice lines (the shared rule), sorted by time then invoice."""
    clean = ds.clean_online_retail(ds.load_online_retail(Path(data_dir)))
    return clean.sort_values([ds.TS_COL, ds.INVOICE_COL], kind="stable").reset_index(drop=True)


def events(data_dir: Path) -> Iterator[TopicEvent]:
    """Products (at their first sale) and orders (one per invoice), in time order."""
    clean = load_clean(data_dir)
    products = ds.build_catalog(clean).sort_values(["first_sold", ds.SKU_COL])
    catalog = iter(products.itertuples(index=False))
    pending = next(catalog, None)
    for invoice, lines in clean.groupby(ds.INVOICE_COL, sort=False):
        ts = lines[ds.TS_COL].iloc[0]
        # A product is listed just before the first order that sells it.
        while pending is not None and pending.first_sold <= ts:
            yield _product(pending)
            pending = next(catalog, None)
        yield _order(str(invoice), lines)
    while pending is not None:
        yield _product(pending)
        pending = next(catalog, None)


def _product(row: object) -> TopicEvent:
    return product_created(
        DATASET,
        str(row.sku),  # type: ignore[attr-defined]
        row.first_sold.to_pydatetime(),  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        price=f"{row.price:.2f}",  # type: ignore[attr-defined]
        currency="GBP",
    )


def _order(invoice: str, lines: pd.DataFrame) -> TopicEvent:
    body = [
        {"product_id": sku, "quantity": int(qty), "unit_price": float(price)}
        for sku, qty, price in zip(
            lines[ds.SKU_COL], lines[ds.QTY_COL], lines[ds.PRICE_COL], strict=True
        )
    ]
    customer = lines[ds.CUSTOMER_COL].iloc[0]
    return order_placed(
        DATASET,
        invoice,
        lines[ds.TS_COL].iloc[0].to_pydatetime(),
        customer if isinstance(customer, str) else None,
        body,
        currency="GBP",
        country=str(lines[ds.COUNTRY_COL].iloc[0]),
    )
