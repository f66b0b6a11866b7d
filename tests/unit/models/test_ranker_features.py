"""Time features of the ranker, computed by hand on a few events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.ranker.features import DAY, ItemStats, attribute_columns, pair_features, user_frame

T0 = 1_000_000.0


def events() -> pd.DataFrame:
    # item x: days 0, 0, 5; item y: day 1. User a is active on day 0, user b on days 1 and 5.
    rows = [("u1", "x", 0), ("u2", "x", 0), ("u3", "x", 5), ("u4", "y", 1)]
    rows += [("a", "z", 0), ("b", "z", 1), ("b", "z", 5)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "day"])
    return frame.assign(timestamp=T0 + frame.pop("day") * DAY + 60.0)


def test_item_share_on_the_users_active_days() -> None:
    items = pd.Index(["x", "y", "z"])
    stats = ItemStats.from_interactions(events(), items)
    users = pd.Index(["a", "b"])
    history = events()[events().user_id.isin(users)]
    days = stats.user_days(history, users)
    assert days is not None and days.toarray().tolist()[0][:2] == [1.0, 0.0]
    u, i = np.array([0, 1, 0]), np.array([0, 0, 1])  # (a, x), (b, x), (a, y)
    cols = pair_features(
        u, i, user_frame(history, users), stats, None, None, None, active_days=days
    )
    # a shares day 0 with 2 of x's 3 events; b shares day 5 with 1; a shares none with y.
    assert np.allclose(cols["item_share_on_user_days"], [2 / 3, 1 / 3, 0.0])


def test_without_timestamps_there_are_no_active_days() -> None:
    frame = events().drop(columns="timestamp")
    stats = ItemStats.from_interactions(frame, pd.Index(["x", "y", "z"]))
    assert stats.user_days(frame, pd.Index(["a"])) is None


def test_attribute_columns_keep_numbers_and_mark_unknown_ids() -> None:
    table = pd.DataFrame({"user_id": ["a", "b"], "age": [30, 40], "city": ["x", "y"]})
    cols = attribute_columns(table, "user_id", pd.Index(["b", "zz"]), "user_")
    assert list(cols) == ["user_age"]
    assert cols["user_age"][0] == 40 and np.isnan(cols["user_age"][1])


def test_attribute_tables_need_one_row_per_id() -> None:
    table = pd.DataFrame({"user_id": ["a", "a"], "age": [30, 31]})
    with pytest.raises(ValueError, match="user_id must be unique"):
        attribute_columns(table, "user_id", pd.Index(["a"]), "user_")
