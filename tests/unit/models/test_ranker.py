"""The ranker learns only from the data it is given, split into inner train / validation."""

from __future__ import annotations

import pandas as pd

from models.evaluation.splitters import leave_one_out_split
from models.ranker import CandidateRanker
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
