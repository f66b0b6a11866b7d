"""The ranker learns only from the data it is given, split into inner train / validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.errors import FitFailed
from models.evaluation.splitters import leave_one_out_split
from models.ranker import CandidateRanker
from models.ranker.booster import query_groups
from models.recommenders import EASE, ItemKNN

BLOCK_A = [f"a{i}" for i in range(6)]
BLOCK_B = [f"b{i}" for i in range(6)]


def block_interactions() -> pd.DataFrame:
    """Users u0..u5 buy in block A, u6..u11 in block B; user k skips item k % 6 of its block."""
    rows = []
    for u in range(12):
        block = BLOCK_A if u < 6 else BLOCK_B
        rows += [(f"u{u}", item, float(u)) for j, item in enumerate(block) if j != u % 6]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


SOURCES = {"ease": (EASE, {"l2": 1.0}), "knn": (ItemKNN, {"k": 20})}
ITEMS = pd.DataFrame(
    {
        "item_id": BLOCK_A + BLOCK_B,
        "category": ["shoes"] * 6 + ["hats|wool"] * 6,
        "price": [10.0] * 6 + [20.0] * 6,
    }
)


def test_the_inner_split_sees_only_the_training_interactions() -> None:
    seen: list[pd.DataFrame] = []

    def spy(df: pd.DataFrame):
        seen.append(df)
        return leave_one_out_split(df, seed=1)

    train = block_interactions()
    CandidateRanker(SOURCES, n_candidates=12, inner_split=spy).fit(train)
    assert len(seen) == 1 and seen[0].equals(train)


def test_labels_come_from_inner_validation_and_never_from_inner_train() -> None:
    inner_train, inner_val = leave_one_out_split(block_interactions(), seed=1)
    ranker = CandidateRanker(SOURCES, n_candidates=12, item_features=ITEMS)
    ranker.fit(block_interactions())
    _, y, pairs = ranker.training_table(inner_train, inner_val)
    positives = set(map(tuple, pairs.loc[y == 1, ["user_id", "item_id"]].to_numpy()))
    # Every validation pair a source can score (its item is in inner train) is a positive.
    scorable = inner_val[inner_val.item_id.isin(inner_train.item_id)]
    assert positives == set(map(tuple, scorable[["user_id", "item_id"]].to_numpy()))
    assert len(positives) >= 2
    assert not positives & set(map(tuple, inner_train[["user_id", "item_id"]].to_numpy()))


def test_item_features_become_ranker_features() -> None:
    ranker = CandidateRanker(SOURCES, n_candidates=12, item_features=ITEMS)
    ranker.inner_split = lambda d: leave_one_out_split(d, seed=1)
    ranker.fit(block_interactions())
    names = set(ranker.feature_names_)
    assert {"category_affinity", "price", "ease_rank", "knn_z", "item_pop_share"} <= names


def test_numeric_user_and_item_attributes_become_ranker_features() -> None:
    items = ITEMS.assign(release_year=[1990 + i for i in range(12)], label="text is skipped")
    users = pd.DataFrame({"user_id": [f"u{u}" for u in range(12)], "age": range(20, 32)})
    ranker = CandidateRanker(SOURCES, n_candidates=12, item_features=items, user_features=users)
    ranker.inner_split = lambda d: leave_one_out_split(d, seed=1)
    x, _, pairs = ranker.fit(block_interactions()).training_table(
        *leave_one_out_split(block_interactions(), seed=1)
    )
    names = ranker.feature_names_
    assert {"item_release_year", "user_age"} <= set(names)
    assert "item_label" not in names and "item_price" not in names
    ages = x[:, names.index("user_age")]
    expected = pairs["user_id"].str[1:].astype(int).to_numpy() + 20
    assert (ages == expected).all()
    # Serving: a user the ranker never saw has no attributes (NaN), and is still scored.
    ids, _ = ranker.recommend(
        ["stranger"], user_items=pd.DataFrame({"user_id": ["stranger"], "item_id": ["a0"]}), n=3
    )
    assert len(ids[0]) == 3


def test_anchor_fusion_mixes_the_booster_and_anchor_log_ranks() -> None:
    ranker = CandidateRanker(SOURCES, n_candidates=12, anchor="ease", anchor_weight=0.5)
    ranker.inner_split = lambda d: leave_one_out_split(d, seed=1)
    ranker.fit(block_interactions())
    x = np.zeros((3, len(ranker.feature_names_)), dtype=np.float32)
    x[:, ranker.feature_names_.index("ease_rank")] = [3.0, 1.0, 2.0]
    pairs = pd.DataFrame({"_u": [0, 0, 0]})
    fused = ranker._fused(np.array([0.9, 0.1, 0.5]), x, pairs)
    # booster ranks 1, 3, 2; anchor ranks 3, 1, 2 -> -(log r_b + log r_a) / 2
    expected = -0.5 * np.log([3.0, 3.0, 4.0])
    assert np.allclose(fused, expected)
    ranker.anchor_weight = 0.0
    assert np.allclose(ranker._fused(np.array([0.9, 0.1, 0.5]), x, pairs), [0.9, 0.1, 0.5])


def test_anchor_must_be_a_source() -> None:
    with pytest.raises(ValueError, match="anchor"):
        CandidateRanker(SOURCES, anchor="nope", anchor_weight=0.3)
    with pytest.raises(ValueError, match="anchor_weight"):
        CandidateRanker(SOURCES, anchor="ease", anchor_weight=1.0)


def test_the_ranker_trains_without_timestamps() -> None:
    # Every time feature is then NaN on every row, which scikit-learn's binning cannot take.
    events = block_interactions().drop(columns="timestamp")
    ranker = CandidateRanker(
        SOURCES, n_candidates=12, inner_split=lambda df: leave_one_out_split(df, seed=1)
    ).fit(events)
    recs = ranker.recommend_frame(["u0", "u6"], user_items=events, n=1)
    assert dict(zip(recs.user_id, recs.item_id, strict=True)) == {"u0": "a0", "u6": "b0"}


def test_a_split_with_nothing_to_learn_from_is_a_failed_fit() -> None:
    # One item that everybody bought: no user has a candidate left to label.
    one_item = pd.DataFrame({"user_id": [f"u{k}" for k in range(8)], "item_id": "a0"})
    with pytest.raises(FitFailed, match="needs both kinds"):
        CandidateRanker(SOURCES, n_candidates=12).fit(one_item)


def test_items_beyond_the_candidates_follow_them_so_n_can_be_filled() -> None:
    """Only the candidates were scored: with a few of them out of stock the API, asking for
    more, got no more, and answered fewer items than asked although the shop had stock."""
    events = block_interactions()
    ranker = CandidateRanker(SOURCES, n_candidates=1, anchor="ease", anchor_weight=0.5).fit(events)
    ids, scores = ranker.recommend(["u0"], events, n=12)
    unseen = set(BLOCK_A + BLOCK_B) - set(events.loc[events.user_id == "u0", "item_id"])
    finite = np.isfinite(scores[0])
    assert set(ids[0][finite]) == unseen and finite.sum() == len(unseen) == 7
    assert ids[0][0] == "a0" and scores[0][0] == 0.0 and not np.signbit(scores[0][0])
    assert (np.diff(scores[0][finite]) < 0).all()  # one order, candidates first
    assert ranker.similar_items(["a1"], n=11)[0].shape == (1, 11)
    assert np.isfinite(ranker.similar_items(["a1"], n=11)[1]).all()


def test_a_price_that_is_not_a_number_is_refused_before_any_fitting() -> None:
    with pytest.raises(ValueError, match=r"item_features\.price must be numeric"):
        CandidateRanker(SOURCES, item_features=ITEMS.assign(price="ten"))
    CandidateRanker(
        SOURCES, item_features=ITEMS.iloc[:0].astype({"price": object})
    )  # empty: no prices


def test_lambdarank_query_groups_are_runs_in_row_order() -> None:
    """The groups were np.unique's counts, which come in sorted order: rows of user 7 before
    user 3 would have been cut into groups of the wrong sizes without an error."""
    assert query_groups(np.array([7, 7, 3, 3, 3, 9])).tolist() == [2, 3, 1]
    assert query_groups(np.array([], dtype=np.int64)).tolist() == []
    with pytest.raises(ValueError, match="contiguous"):
        query_groups(np.array([1, 1, 2, 1]))


def test_the_lambdarank_booster_ranks_within_the_users_block() -> None:
    pytest.importorskip("lightgbm")  # the optional "ranking" extra; requirements.lock has it
    events = block_interactions()
    ranker = CandidateRanker(
        SOURCES,
        n_candidates=12,
        booster="lgbm-lambdarank",
        booster_params={"min_child_samples": 1, "n_estimators": 20},
        inner_split=lambda df: leave_one_out_split(df, seed=1),
    ).fit(events)
    recs = ranker.recommend_frame(["u0", "u6"], user_items=events, n=1)
    assert dict(zip(recs.user_id, recs.item_id, strict=True)) == {"u0": "a0", "u6": "b0"}
