"""Online Retail as interactions for the recommenders (the lead's shared cleaning rule)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.columns import ITEM_COL, TIME_COL, USER_COL
from models.datasets.online_retail import (
    CUSTOMER_COL,
    NAME_COL,
    SKU_COL,
    TS_COL,
    build_catalog,
    clean_online_retail,
    load_online_retail,
)


def online_retail_interactions(
    data_dir: str | Path, dataset: str = "online-retail"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Purchases (one row per clean invoice line of a known customer) and item features.

    Parameters
    ----------
    data_dir : str or Path
        The data directory (see ``models.datasets.registry``).
    dataset : str
        ``"online-retail"`` or ``"online-retail-ii"``.

    Returns
    -------
    interactions : pandas.DataFrame
        ``user_id`` (customer), ``item_id`` (stock code), ``timestamp`` (UTC, tz-naive).
    items : pandas.DataFrame
        ``item_id``, ``price``, ``name`` from the shared catalog rule.
    """
    clean = clean_online_retail(load_online_retail(Path(data_dir), dataset))
    sales = clean.dropna(subset=[CUSTOMER_COL])
    interactions = pd.DataFrame(
        {
            USER_COL: sales[CUSTOMER_COL].astype(str).to_numpy(),
            ITEM_COL: sales[SKU_COL].astype(str).to_numpy(),
            TIME_COL: sales[TS_COL].dt.tz_convert(None).to_numpy(),
        }
    )
    catalog = build_catalog(clean).reset_index()
    sku = SKU_COL if SKU_COL in catalog.columns else catalog.columns[0]
    items = pd.DataFrame(
        {
            ITEM_COL: catalog[sku].astype(str),
            "price": catalog["price"].astype(float),
            "name": catalog.get("name", catalog.get(NAME_COL, "")),
        }
    )
    return interactions, items
