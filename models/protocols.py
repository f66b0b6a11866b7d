"""Evaluation protocols: how a dataset becomes (train, test) and train becomes (fit, valid).

``msr``: Microsoft Recommenders' MovieLens protocol (stratified by item, 75/25, seed 42; all
test rows relevant). ``temporal``: a global time cut; the truth is each known user's *new*
items after the cut (seen items are filtered from recommendations, so re-purchases could
never be hit), restricted to users and items present before the cut. Validation splits
repeat the same scheme inside the training data.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from models.columns import ITEM_COL, TIME_COL, USER_COL
from models.evaluation.splitters import stratified_split, temporal_split

Split = tuple[pd.DataFrame, pd.DataFrame]


def msr_split(df: pd.DataFrame) -> Split:
    """``python_stratified_split(ratio=0.75, min_rating=1, filter_by="item", seed=42)``."""
    return stratified_split(df, ratio=0.75, min_rating=1, filter_by="item", seed=42)


def msr_valid_split(train: pd.DataFrame) -> Split:
    """The same scheme inside train, with another seed."""
    return stratified_split(train, ratio=0.75, min_rating=1, filter_by="item", seed=7)


def new_items_of_known_users(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Test pairs whose user and item were in train and that the user had not had before."""
    test = test[test[USER_COL].isin(train[USER_COL]) & test[ITEM_COL].isin(train[ITEM_COL])]
    seen = train[[USER_COL, ITEM_COL]].drop_duplicates().assign(_seen=True)
    merged = test.merge(seen, on=[USER_COL, ITEM_COL], how="left")
    return (
        merged[merged["_seen"].isna()].drop(columns="_seen").drop_duplicates([USER_COL, ITEM_COL])
    )


def temporal_protocol(cut: object) -> Callable[[pd.DataFrame], Split]:
    """A splitter: rows before ``cut`` train; new items of known users after it test."""

    def split(df: pd.DataFrame) -> Split:
        train, test = temporal_split(df, cut)
        return train, new_items_of_known_users(train, test)

    return split


def temporal_valid_split(test_share: float) -> Callable[[pd.DataFrame], Split]:
    """Cut train so the latest ``test_share`` of its time span is validation."""

    def split(train: pd.DataFrame) -> Split:
        start, end = train[TIME_COL].min(), train[TIME_COL].max()
        return temporal_protocol(start + (end - start) * (1 - test_share))(train)

    return split


def time_share(df: pd.DataFrame, cut: object) -> float:
    """The share of the data's time span that lies after ``cut``."""
    start, end = df[TIME_COL].min(), df[TIME_COL].max()
    if end == start:  # one instant: nothing lies after any cut
        return 0.0
    return float((end - cut) / (end - start))
