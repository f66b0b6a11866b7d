"""Any interaction table on disk: CSV or Parquet with ``user_id,item_id[,timestamp][,weight]``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.columns import ITEM_COL, TIME_COL, USER_COL, WEIGHT_COL
from models.datasets.errors import DatasetError, problem_of


class BadInteractionFile(DatasetError):
    """The file is missing, of an unknown type, or lacks the required columns."""

    code = "bad_interaction_file"


def load_interactions(path: str | Path) -> pd.DataFrame:
    """Read an interaction table.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file with columns ``user_id``, ``item_id`` and optionally
        ``timestamp`` (numbers or ISO datetimes) and ``weight``.

    Returns
    -------
    pandas.DataFrame
        The known columns only, rows with a missing user or item dropped.
    """
    path = Path(path)
    if path.is_dir():
        raise BadInteractionFile(f"interaction file {path} is a directory")
    if not path.is_file():
        raise BadInteractionFile(f"interaction file {path} not found")
    if path.suffix not in (".parquet", ".csv", ".gz"):
        raise BadInteractionFile(f"{path}: expected a .csv or .parquet file")
    try:
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (ValueError, OSError) as e:  # pandas/pyarrow parse errors are ValueErrors
        raise BadInteractionFile(f"{path} cannot be read: {problem_of(e)}") from e
    missing = {USER_COL, ITEM_COL} - set(df.columns)
    if missing:
        raise BadInteractionFile(f"{path} lacks column(s) {sorted(missing)}")
    if TIME_COL in df.columns and df[TIME_COL].dtype == object:
        try:
            df[TIME_COL] = pd.to_datetime(df[TIME_COL])
        except (ValueError, TypeError) as e:
            raise BadInteractionFile(f"{path}: {TIME_COL} is neither numbers nor dates") from e
    if TIME_COL in df.columns:
        df[TIME_COL] = _naive_utc(df[TIME_COL], path)
    if WEIGHT_COL in df.columns:
        df[WEIGHT_COL] = _weights(df[WEIGHT_COL], path)
    keep = [c for c in (USER_COL, ITEM_COL, TIME_COL, WEIGHT_COL) if c in df.columns]
    return df[keep].dropna(subset=[USER_COL, ITEM_COL]).reset_index(drop=True)


def _naive_utc(ts: pd.Series, path: Path) -> pd.Series:
    """Times with a zone become naive UTC (the models compare them with naive ones); a row
    without a time is refused rather than silently ordered first."""
    if ts.isna().any():
        raise BadInteractionFile(f"{path}: {TIME_COL} is empty on {int(ts.isna().sum())} row(s)")
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts


def _weights(weights: pd.Series, path: Path) -> pd.Series:
    """Finite, non-negative numbers: a negative or infinite weight trains nonsense."""
    numbers = pd.to_numeric(weights, errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers) | (numbers < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadInteractionFile(
            f"{path}: {WEIGHT_COL} must be a finite number >= 0 "
            f"({int(bad.sum())} row(s), first at row {row}: {weights.iloc[row]!r})"
        )
    return numbers.astype("float64")
