"""Splitters: sizes, disjointness and the reference stratified split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.evaluation import splitters as s


def frame(n_users: int = 5, per_user: int = 8) -> pd.DataFrame:
    rows = [
        (u, (u * 7 + j) % 20, float(u * 100 + j)) for u in range(n_users) for j in range(per_user)
    ]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_stratified_split_keeps_the_ratio_per_user_and_is_disjoint() -> None:
    df = frame()
    train, test = s.stratified_split(df, ratio=0.75, filter_by="user", seed=1)
    assert train.groupby("user_id").size().tolist() == [6] * 5
    assert test.groupby("user_id").size().tolist() == [2] * 5
    assert not set(train.index) & set(test.index)
    assert list(train.columns) == list(df.columns)


def test_stratified_split_reproduces_the_reference_draw() -> None:
    df = pd.DataFrame({"user_id": [1, 1, 1, 1, 2, 2, 2, 2], "item_id": list(range(8))})
    np.random.seed(42)
    draws = np.random.rand(8)
    # Reference: per user, the rows with the 3 smallest draws are train.
    expected_test = {
        int(df.index[u * 4 + int(np.argmax(draws[u * 4 : u * 4 + 4]))]) for u in (0, 1)
    }
    _, test = s.stratified_split(df, ratio=0.75, seed=42)
    assert set(test.index) == expected_test


def test_stratified_split_by_item_and_min_rating() -> None:
    df = frame()
    df = pd.concat([df, pd.DataFrame({"user_id": [9], "item_id": [99], "timestamp": [0.0]})])
    train, test = s.stratified_split(df, filter_by="item", min_rating=2)
    assert 99 not in set(train.item_id) | set(test.item_id)
    with pytest.raises(ValueError):
        s.stratified_split(df, filter_by="basket")


def test_temporal_split_cuts_globally() -> None:
    train, test = s.temporal_split(frame(), cut=200.0)
    assert train.timestamp.max() < 200.0 <= test.timestamp.min()
    assert len(train) + len(test) == len(frame())


def test_temporal_fraction_split() -> None:
    train, test = s.temporal_fraction_split(frame(), test_fraction=0.25)
    assert train.timestamp.max() < test.timestamp.min()
    assert len(test) == pytest.approx(10, abs=1)


def test_last_n_split_holds_out_each_users_latest() -> None:
    train, test = s.last_n_split(frame(), n=2)
    assert test.groupby("user_id").size().tolist() == [2] * 5
    latest_train = train.groupby("user_id").timestamp.max()
    assert (test.groupby("user_id").timestamp.min() > latest_train).all()


def test_last_n_split_keeps_short_users_in_train() -> None:
    df = pd.DataFrame({"user_id": [1, 2, 2], "item_id": [1, 2, 3], "timestamp": [1, 2, 3]})
    train, test = s.last_n_split(df, n=1)
    assert test.user_id.tolist() == [2] and 1 in set(train.user_id)


def test_leave_one_out_with_and_without_time() -> None:
    train, test = s.leave_one_out_split(frame())
    assert test.groupby("user_id").size().tolist() == [1] * 5
    assert (
        test.timestamp.to_numpy() == train.groupby("user_id").timestamp.max().to_numpy() + 1
    ).all()
    train2, test2 = s.leave_one_out_split(frame().drop(columns="timestamp"), seed=3)
    assert len(test2) == 5 and len(train2) == 35


def test_time_splitters_need_a_timestamp() -> None:
    with pytest.raises(ValueError):
        s.last_n_split(frame().drop(columns="timestamp"))
