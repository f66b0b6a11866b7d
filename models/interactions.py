"""Interaction tables to sparse matrices: the one place ids become matrix indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL, TIME_COL, USER_COL, WEIGHT_COL


def check_interactions(df: pd.DataFrame) -> None:
    """Raise ``ValueError`` unless ``df`` has the user and item columns, and its weights (if
    any) are finite numbers >= 0.

    Parameters
    ----------
    df : pandas.DataFrame
        Interactions with ``user_id`` and ``item_id`` (``weight``, ``timestamp`` optional).
    """
    missing = [c for c in (USER_COL, ITEM_COL) if c not in df.columns]
    if missing:
        raise ValueError(f"interactions lack column(s) {missing}; got {list(df.columns)}")
    if WEIGHT_COL in df.columns:
        # NaN weights made EASE score NaN everywhere (every answer silently dropped).
        weights = pd.to_numeric(df[WEIGHT_COL], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            first = df[WEIGHT_COL].to_numpy()[bad.argmax()]
            raise ValueError(
                f"{int(bad.sum())} weight(s) are not finite numbers >= 0 (first: {first!r})"
            )


def weights_of(df: pd.DataFrame) -> np.ndarray:
    """The interaction weights: the ``weight`` column, or 1 per row."""
    if WEIGHT_COL in df.columns:
        return df[WEIGHT_COL].to_numpy(dtype=np.float32)
    return np.ones(len(df), dtype=np.float32)


def timestamps_seconds(df: pd.DataFrame) -> np.ndarray | None:
    """Timestamps as float seconds (datetimes or numbers), or ``None`` without a column.

    Datetimes with a time zone (a frame a notebook built, Parquet written with zoned times)
    count from the UTC epoch."""
    if TIME_COL not in df.columns:
        return None
    ts = df[TIME_COL]
    if ts.dtype == object or pd.api.types.is_string_dtype(ts.dtype):  # e.g. ISO text from a CSV
        try:
            ts = pd.to_datetime(ts, utc=True, format="ISO8601")
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"the {TIME_COL} column holds text that is not an ISO 8601 time ({e}); "
                "give datetimes, ISO 8601 text or unix seconds"
            ) from e
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(ts):
        return ts.astype("datetime64[ns]").astype("int64").to_numpy() / 1e9
    return ts.to_numpy(dtype=np.float64)


def to_csr(
    df: pd.DataFrame, rows: pd.Index, items: pd.Index, row_col: str = USER_COL
) -> sp.csr_matrix:
    """A (len(rows), len(items)) CSR matrix of summed weights; unknown ids are dropped.

    Parameters
    ----------
    df : pandas.DataFrame
        Interactions.
    rows, items : pandas.Index
        The row ids (users) and column ids (items), in matrix order.
    row_col : str
        The column of ``df`` that holds the row ids.

    Returns
    -------
    scipy.sparse.csr_matrix
        float32 matrix; duplicate pairs are summed.
    """
    r = rows.get_indexer(df[row_col])
    c = items.get_indexer(df[ITEM_COL])
    keep = (r >= 0) & (c >= 0)
    w = weights_of(df)[keep]
    shape = (len(rows), len(items))
    m = sp.csr_matrix((w, (r[keep], c[keep])), shape=shape, dtype=np.float32)
    m.sum_duplicates()
    return m


def history_frame(history: pd.DataFrame | dict | None) -> pd.DataFrame | None:
    """Accept a history as a DataFrame or ``{user_id: [item_id, ...]}`` and return a frame."""
    if history is None or isinstance(history, pd.DataFrame):
        return history
    pairs = [(u, i) for u, items in history.items() for i in items]
    return pd.DataFrame(pairs, columns=[USER_COL, ITEM_COL])
