"""Train/test splitters: random stratified (Microsoft Recommenders), temporal, leave-one-out.

Every splitter returns ``(train, test)`` frames with the input's columns; none mutates its
input. The stratified splitter reproduces ``python_stratified_split`` of
recommenders-team/recommenders exactly (same seed, same order of operations), so its splits
match theirs row for row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.columns import ITEM_COL, TIME_COL, USER_COL

Split = tuple[pd.DataFrame, pd.DataFrame]


def stratified_split(
    df: pd.DataFrame,
    ratio: float = 0.75,
    min_rating: int = 1,
    filter_by: str = "user",
    seed: int = 42,
) -> Split:
    """Per user (or item), a random ``ratio`` of its rows go to train, the rest to test.

    Parameters
    ----------
    df : pandas.DataFrame
        Interactions, in their original order (the random draw follows row order).
    ratio : float
        Share of each group's rows in train.
    min_rating : int
        Groups with fewer rows are dropped first.
    filter_by : {"user", "item"}
        The column to stratify on.
    seed : int
        ``numpy.random.seed`` value, as in Microsoft Recommenders.

    Returns
    -------
    train, test : pandas.DataFrame
    """
    if filter_by not in ("user", "item"):
        raise ValueError("filter_by should be either 'user' or 'item'")
    if min_rating < 1:
        raise ValueError("min_rating must be >= 1")
    col = USER_COL if filter_by == "user" else ITEM_COL
    data = df.copy()
    if min_rating > 1:
        data = data[data.groupby(col)[col].transform("count") >= min_rating]
    np.random.seed(seed)  # the reference implementation seeds the global generator
    data["_random"] = np.random.rand(data.shape[0])
    data = data.sort_values([col, "_random"])
    groups = data.groupby(col)
    rank = (groups.cumcount() + 1) / groups[col].transform("count")
    data = data.drop(columns="_random")
    return data[rank <= ratio], data[rank > ratio]


def temporal_split(df: pd.DataFrame, cut: object) -> Split:
    """Global time cut: rows before ``cut`` train, rows at or after it test.

    Parameters
    ----------
    df : pandas.DataFrame
        Interactions with a ``timestamp`` column.
    cut : timestamp-like or number
        The boundary, in the timestamp column's type.
    """
    _need_time(df)
    before = df[TIME_COL] < cut
    return df[before], df[~before]


def temporal_fraction_split(df: pd.DataFrame, test_fraction: float = 0.2) -> Split:
    """Global time cut placed so ``test_fraction`` of rows (the latest) are test."""
    _need_time(df)
    cut = df[TIME_COL].quantile(1 - test_fraction, interpolation="higher")
    return temporal_split(df, cut)


def last_n_split(df: pd.DataFrame, n: int = 1, min_train: int = 1) -> Split:
    """Each user's last ``n`` rows by time are test, if ``min_train`` rows remain for train.

    Parameters
    ----------
    df : pandas.DataFrame
        Interactions with a ``timestamp`` column.
    n : int
        Rows per user held out.
    min_train : int
        Users with fewer than ``n + min_train`` rows stay entirely in train.
    """
    _need_time(df)
    ordered = df.sort_values([USER_COL, TIME_COL], kind="stable")
    from_end = ordered.groupby(USER_COL).cumcount(ascending=False)
    size = ordered.groupby(USER_COL)[USER_COL].transform("count")
    test = (from_end < n) & (size >= n + min_train)
    return ordered[~test], ordered[test]


def leave_one_out_split(df: pd.DataFrame, seed: int = 42) -> Split:
    """Each user's latest row (a random one without timestamps) is test.

    Users with a single row stay in train.
    """
    if TIME_COL in df.columns:
        return last_n_split(df, n=1)
    rng = np.random.default_rng(seed)
    shuffled = df.iloc[rng.permutation(len(df))]
    first = shuffled.groupby(USER_COL).cumcount() == 0
    multi = shuffled.groupby(USER_COL)[USER_COL].transform("count") > 1
    test = first & multi
    return shuffled[~test].sort_index(), shuffled[test].sort_index()


def restrict_to_train(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Test rows whose user and item both appear in train (what a model can be judged on)."""
    known = test[USER_COL].isin(train[USER_COL]) & test[ITEM_COL].isin(train[ITEM_COL])
    return test[known]


def _need_time(df: pd.DataFrame) -> None:
    if TIME_COL not in df.columns:
        raise ValueError(f"this splitter needs a {TIME_COL!r} column")
    missing = int(df[TIME_COL].isna().sum())
    if missing:  # sorted last, a row without a time became the user's latest event
        raise ValueError(
            f"{missing} row(s) have no {TIME_COL}: drop or fill them before a time split"
        )
