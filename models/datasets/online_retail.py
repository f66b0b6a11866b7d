"""UCI Online Retail: loading and the ONE cleaning rule every use of this dataset shares.

The cleaning rule (``clean_online_retail``) — used by the catalog loader, the replay into the
event log and the model benchmarks alike, so they all see the same shop:

1. Cancelled invoices (``InvoiceNo`` starting with ``C``) are not sales.
2. Lines with zero or negative ``Quantity`` or ``UnitPrice`` are not sales (returns, write-offs,
   "adjust bad debt" entries and lost/damaged stock notes).
3. Non-merchandise stock codes are not products: postage (``POST``, ``DOT``), carriage (``C2``),
   manual adjustments (``M``), discounts (``D``), samples (``S``), bad-debt adjustments (``B``),
   bank charges, Amazon fees, the CRUK charity commission, and gift vouchers (``gift_0001_*``).
4. Stock codes are upper-cased, so ``85123a`` and ``85123A`` are one product.
5. Lines without a ``Description`` keep their sale but give no name.

The catalog derived from the clean lines (``build_catalog``): one product per stock code; its
price is the median unit price of its clean lines (robust to the odd wholesale discount); its
name is its most frequent description (ties: alphabetically first). Stock rule: each product
starts with the units it sold in the data's last 90 days (a quarter's supply), at least 10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.datasets.errors import DatasetUnreadable, reading
from models.datasets.registry import get_dataset

NON_MERCHANDISE_CODES = frozenset(
    {"POST", "DOT", "C2", "M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"}
)
GIFT_VOUCHER_PREFIX = "GIFT_0001_"
STOCK_WINDOW_DAYS = 90
MIN_INITIAL_STOCK = 10

# Column names of the cleaned frame (Online Retail II spells some of them differently).
INVOICE_COL, SKU_COL, NAME_COL, QTY_COL = "invoice", "sku", "description", "quantity"
TS_COL, PRICE_COL, CUSTOMER_COL, COUNTRY_COL = (
    "ts",
    "unit_price",
    "customer_id",
    "country",
)
_RENAMES = {
    "InvoiceNo": INVOICE_COL,
    "Invoice": INVOICE_COL,
    "StockCode": SKU_COL,
    "Description": NAME_COL,
    "Quantity": QTY_COL,
    "InvoiceDate": TS_COL,
    "UnitPrice": PRICE_COL,
    "Price": PRICE_COL,
    "CustomerID": CUSTOMER_COL,
    "Customer ID": CUSTOMER_COL,
    "Country": COUNTRY_COL,
}


def load_online_retail(data_dir: Path, dataset: str = "online-retail") -> pd.DataFrame:
    """Read the raw invoice lines of Online Retail (or ``online-retail-ii``).

    Parameters
    ----------
    data_dir : Path
        The data directory holding ``uci-online-retail/online_retail.parquet``.
    dataset : str
        ``"online-retail"`` (2010-12..2011-12) or ``"online-retail-ii"`` (2009-12..2010-12).

    Returns
    -------
    pandas.DataFrame
        The raw lines with emporium's column names; nothing is dropped.
    """
    path = get_dataset(dataset).path(Path(data_dir))
    with reading(path, dataset):
        raw = pd.read_parquet(path).rename(columns=_RENAMES)
    missing = sorted(set(_RENAMES.values()) - set(raw.columns))
    if missing:  # the cleaning rule needs every one of them
        raise DatasetUnreadable(path, dataset, f"no column(s) {', '.join(missing)}")
    with reading(path, dataset):
        return _typed(raw)


def _typed(raw: pd.DataFrame) -> pd.DataFrame:
    raw[TS_COL] = pd.to_datetime(raw[TS_COL], utc=True)
    raw[INVOICE_COL] = raw[INVOICE_COL].astype(str)
    raw[SKU_COL] = raw[SKU_COL].astype(str).str.strip()
    raw[CUSTOMER_COL] = raw[CUSTOMER_COL].map(lambda v: None if pd.isna(v) else str(int(v)))
    return raw


def is_merchandise(codes: pd.Series) -> pd.Series:
    """True for stock codes that are products (not postage, fees, adjustments or vouchers)."""
    upper = codes.astype(str).str.strip().str.upper()
    return ~upper.isin(NON_MERCHANDISE_CODES) & ~upper.str.startswith(GIFT_VOUCHER_PREFIX)


def clean_online_retail(raw: pd.DataFrame) -> pd.DataFrame:
    """Apply the shared cleaning rule (see the module docstring) to raw invoice lines.

    Parameters
    ----------
    raw : pandas.DataFrame
        Output of :func:`load_online_retail`.

    Returns
    -------
    pandas.DataFrame
        Only real sales of real products, stock codes upper-cased, index reset.
    """
    keep = (
        ~raw[INVOICE_COL].str.upper().str.startswith("C")
        & (raw[QTY_COL] > 0)
        & (raw[PRICE_COL] > 0)
        & is_merchandise(raw[SKU_COL])
    )
    clean = raw.loc[keep].copy()
    clean[SKU_COL] = clean[SKU_COL].str.upper()
    clean[NAME_COL] = clean[NAME_COL].str.strip()
    return clean.reset_index(drop=True)


def build_catalog(clean: pd.DataFrame) -> pd.DataFrame:
    """One product per stock code: name, representative price and initial stock.

    Returns
    -------
    pandas.DataFrame
        Columns ``sku``, ``name``, ``price``, ``initial_stock``, ``first_sold``, sorted by sku.
    """
    named = clean.dropna(subset=[NAME_COL])
    counts = named.groupby([SKU_COL, NAME_COL]).size().rename("n").reset_index()
    counts = counts.sort_values([SKU_COL, "n", NAME_COL], ascending=[True, False, True])
    names = counts.drop_duplicates(SKU_COL).set_index(SKU_COL)[NAME_COL]
    grouped = clean.groupby(SKU_COL)
    catalog = pd.DataFrame(
        {
            "price": grouped[PRICE_COL].median().round(2),
            "first_sold": grouped[TS_COL].min(),
        }
    )
    catalog["name"] = names.reindex(catalog.index).fillna(catalog.index.to_series())
    cutoff = clean[TS_COL].max() - pd.Timedelta(days=STOCK_WINDOW_DAYS)
    recent = clean.loc[clean[TS_COL] > cutoff].groupby(SKU_COL)[QTY_COL].sum()
    stock = recent.reindex(catalog.index).fillna(0).astype(np.int64)
    catalog["initial_stock"] = stock.clip(lower=MIN_INITIAL_STOCK)
    return catalog.reset_index()[[SKU_COL, "name", "price", "initial_stock", "first_sold"]]


def build_customers(clean: pd.DataFrame) -> pd.DataFrame:
    """One row per known customer: id, country (most frequent), first purchase time."""
    known = clean.dropna(subset=[CUSTOMER_COL])
    country = known.groupby(CUSTOMER_COL)[COUNTRY_COL].agg(lambda s: s.mode().iloc[0])
    first = known.groupby(CUSTOMER_COL)[TS_COL].min()
    return pd.DataFrame({"country": country, "first_seen": first}).reset_index()
