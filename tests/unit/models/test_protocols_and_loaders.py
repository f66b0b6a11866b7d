"""Protocols (msr, temporal) and the loaders' contracts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models import protocols
from models.datasets import DatasetMissing
from models.datasets.interactions_file import BadInteractionFile, load_interactions
from models.datasets.movielens import load_movielens_100k

DF = pd.DataFrame(
    {
        "user_id": ["a", "a", "a", "b", "b", "c"],
        "item_id": ["x", "y", "x", "x", "z", "y"],
        "timestamp": pd.to_datetime(
            ["2011-01-01", "2011-02-01", "2011-11-01", "2011-01-05", "2011-11-02", "2011-11-03"]
        ),
    }
)


def test_temporal_truth_is_new_items_of_known_users() -> None:
    train, test = protocols.temporal_protocol(pd.Timestamp("2011-10-01"))(DF)
    assert len(train) == 3
    # a re-buys x (seen), b buys z (unknown item), c is a new user: nothing is judgeable.
    assert test.empty
    df = pd.concat(
        [
            DF,
            pd.DataFrame(
                {"user_id": ["b"], "item_id": ["y"], "timestamp": [pd.Timestamp("2011-12-01")]}
            ),
        ]
    )
    _, test = protocols.temporal_protocol(pd.Timestamp("2011-10-01"))(df)
    assert test[["user_id", "item_id"]].values.tolist() == [["b", "y"]]


def test_temporal_valid_split_stays_inside_train() -> None:
    train, _ = protocols.temporal_protocol(pd.Timestamp("2011-10-01"))(DF)
    fit, valid = protocols.temporal_valid_split(0.5)(train)
    assert fit.timestamp.max() < pd.Timestamp("2011-10-01")
    assert set(valid.index) <= set(train.index)


def test_msr_split_on_movielens_puts_floor_three_quarters_of_each_item_in_train(
    data_dir: Path,
) -> None:
    ratings = load_movielens_100k(data_dir)
    train, test = protocols.msr_split(ratings)
    assert len(train) + len(test) == 100_000
    n = ratings.groupby("item_id").size()
    in_train = train.groupby("item_id").size().reindex(n.index).fillna(0)
    # The reference keeps rows with rank / count <= 0.75: floor(0.75 n) per item.
    assert (in_train == (0.75 * n).apply(int)).all()


def test_loaders_name_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing, match=r"grouplens"):
        load_movielens_100k(tmp_path)
    with pytest.raises(BadInteractionFile):
        load_interactions(tmp_path / "nope.csv")


def test_interaction_files_csv_and_parquet(tmp_path: Path) -> None:
    DF.to_csv(tmp_path / "i.csv", index=False)
    DF.to_parquet(tmp_path / "i.parquet")
    for name in ("i.csv", "i.parquet"):
        loaded = load_interactions(tmp_path / name)
        assert list(loaded.columns) == ["user_id", "item_id", "timestamp"]
        assert pd.api.types.is_datetime64_any_dtype(loaded.timestamp)
    pd.DataFrame({"user": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(BadInteractionFile, match="user_id"):
        load_interactions(tmp_path / "bad.csv")


@pytest.mark.parametrize(
    ("weights", "problem"),
    [
        (["1", "x"], "'x'"),
        ([1.0, -2.0], "-2.0"),
        ([1.0, float("inf")], "inf"),
        ([1.0, 1e308], "1e+308"),  # finite, but it overflows the models' 32-bit floats
    ],
)
def test_interaction_weights_must_be_finite_non_negative_numbers(
    tmp_path: Path, weights: list[object], problem: str
) -> None:
    """Text was a traceback; negative and infinite weights trained (and were promoted)."""
    message = _refusal(tmp_path, "weight", weights)
    assert "weight must be a number from 0 to 1e" in message and problem in message


def test_interaction_times_with_a_zone_become_utc_and_empty_times_are_refused(
    tmp_path: Path,
) -> None:
    zoned = pd.DataFrame({
        "user_id": [1, 2], "item_id": [3, 4],
        "timestamp": pd.to_datetime(["2011-01-01T12:00:00+02:00", "2011-01-02T00:00:00Z"],
                                    utc=True).tz_convert("Europe/Paris"),
    })  # fmt: skip
    zoned.to_parquet(tmp_path / "z.parquet")
    times = load_interactions(tmp_path / "z.parquet")["timestamp"]
    assert list(times) == [pd.Timestamp("2011-01-01T10:00"), pd.Timestamp("2011-01-02T00:00")]
    pd.DataFrame({"user_id": [1, 2], "item_id": [3, 4], "timestamp": ["2011-01-01", None]}).to_csv(
        tmp_path / "e.csv"
    )
    with pytest.raises(BadInteractionFile, match="timestamp is empty on 1 row"):
        load_interactions(tmp_path / "e.csv")


def test_interaction_times_with_mixed_offsets_become_utc(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    times = ["2011-01-01T12:00:00+02:00", "2011-01-01T12:00:00-05:00", "2011-01-01T12:00:00"]
    pd.DataFrame({"user_id": [1, 2, 3], "item_id": [3, 4, 5], "timestamp": times}).to_csv(path)
    loaded = load_interactions(path)["timestamp"]
    hours = ["2011-01-01T10:00", "2011-01-01T17:00", "2011-01-01T12:00"]
    assert list(loaded) == [pd.Timestamp(h) for h in hours]


@pytest.mark.parametrize(
    ("times", "problem"),
    [
        ([True, False], "not bool"),
        ([1.3e9, float("inf")], "inf"),
        ([1.3e12, 1.3e12], "milliseconds?"),
        ([-5.0, 1.0], "-5.0"),
    ],
)
def test_numeric_times_must_be_unix_seconds(
    tmp_path: Path, times: list[object], problem: str
) -> None:
    message = _refusal(tmp_path, "timestamp", times)
    assert "timestamp must be unix seconds" in message and problem in message


def _refusal(tmp_path: Path, column: str, values: list[object]) -> str:
    """The loader's message for two interactions with ``values`` in ``column``."""
    path = tmp_path / "interactions.csv"
    pd.DataFrame({"user_id": [1, 2], "item_id": [3, 4], column: values}).to_csv(path)
    with pytest.raises(BadInteractionFile) as bad:
        load_interactions(path)
    return str(bad.value)


def test_zoned_times_count_from_the_utc_epoch_like_naive_utc_times() -> None:
    """Zoned times (a notebook's frame, zoned Parquet) made the time-aware models raise."""
    from models.interactions import timestamps_seconds
    from models.recommenders import TimeDecayedPopularity

    naive = pd.DataFrame(
        {
            "user_id": [1, 2],
            "item_id": [10, 11],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-31"]),
        }
    )
    zoned = naive.assign(
        timestamp=naive["timestamp"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo")
    )
    assert (
        list(timestamps_seconds(zoned))
        == list(timestamps_seconds(naive))
        == [1767225600.0, 1769817600.0]
    )
    ids, _ = (
        TimeDecayedPopularity(half_life_days=10).fit(zoned).recommend([3], user_items=zoned, n=2)
    )
    assert list(ids[0]) == [11, 10]
