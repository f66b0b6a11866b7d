"""Any interaction table on disk: CSV or Parquet with ``user_id,item_id[,timestamp][,weight]``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.columns import ITEM_COL, TIME_COL, USER_COL, WEIGHT_COL
from models.datasets.errors import DatasetError, problem_of

#: The largest numeric timestamp: pandas' last representable instant, 2262-04-11.
MAX_UNIX_SECONDS = pd.Timestamp.max.timestamp()
#: The largest weight: squared (as in ALS's normal equations) it still fits a float32.
MAX_WEIGHT = 1e18


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
        df[TIME_COL] = _dates(df[TIME_COL], path)
    if TIME_COL in df.columns:
        df[TIME_COL] = _naive_utc(df[TIME_COL], path)
    if WEIGHT_COL in df.columns:
        df[WEIGHT_COL] = _weights(df[WEIGHT_COL], path)
    keep = [c for c in (USER_COL, ITEM_COL, TIME_COL, WEIGHT_COL) if c in df.columns]
    return df[keep].dropna(subset=[USER_COL, ITEM_COL]).reset_index(drop=True)


def _dates(text: pd.Series, path: Path) -> pd.Series:
    """Dates in the one format pandas infers from the first row, else each row's own format
    (slower; pandas' "ISO8601" mode gives a time without an offset the previous row's).
    utc=True: offsets may differ row to row; a time without one is read as UTC."""
    for options in ({}, {"format": "mixed"}):
        try:
            return pd.to_datetime(text, utc=True, **options)
        except (ValueError, TypeError):
            continue
    raise BadInteractionFile(f"{path}: {TIME_COL} is neither numbers nor dates")


def _naive_utc(ts: pd.Series, path: Path) -> pd.Series:
    """Times with a zone become naive UTC (the models compare them with naive ones); a row
    without a time is refused rather than silently ordered first."""
    if ts.isna().any():
        raise BadInteractionFile(f"{path}: {TIME_COL} is empty on {int(ts.isna().sum())} row(s)")
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(ts):
        return ts
    if pd.api.types.is_bool_dtype(ts) or not pd.api.types.is_numeric_dtype(ts):
        raise BadInteractionFile(
            f"{path}: {TIME_COL} must be unix seconds or dates, not {ts.dtype}"
        )
    _refuse_rows(
        path,
        ~np.isfinite(ts) | (ts < 0) | (ts > MAX_UNIX_SECONDS),
        ts,
        f"a numeric {TIME_COL} must be unix seconds from 1970 to 2262",
        "; milliseconds? divide by 1000",
    )
    return ts.astype("float64")


def _weights(weights: pd.Series, path: Path) -> pd.Series:
    """Finite, non-negative numbers: a negative or infinite weight trains nonsense, and the
    models compute in 32-bit floats, where a weight past MAX_WEIGHT overflows."""
    numbers = pd.to_numeric(weights, errors="coerce")
    _refuse_rows(
        path,
        numbers.isna() | ~np.isfinite(numbers) | (numbers < 0) | (numbers > MAX_WEIGHT),
        weights,
        f"{WEIGHT_COL} must be a number from 0 to {MAX_WEIGHT:g}",
    )
    return numbers.astype("float64")


def _refuse_rows(path: Path, bad: pd.Series, values: pd.Series, rule: str, hint: str = "") -> None:
    """Raise ``BadInteractionFile`` saying ``rule``, how many rows break it and the first one
    (as a plain Python value: ``inf``, not ``np.float64(inf)``)."""
    if not bad.any():
        return
    row = int(np.flatnonzero(bad.to_numpy())[0])
    first = values.iloc[row : row + 1].tolist()[0]
    raise BadInteractionFile(
        f"{path}: {rule} ({int(bad.sum())} row(s), first at row {row}: {first!r}{hint})"
    )
