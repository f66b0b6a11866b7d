"""One contract every recommender honours, on tiny data with known answers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from models.errors import NotFittedError
from models.evaluation.splitters import leave_one_out_split
from models.ranker import CandidateRanker
from models.recommenders import (
    ALS,
    BPR,
    EASE,
    ContentTfidf,
    ItemKNN,
    Recommender,
    RP3beta,
    SequenceNeighbours,
    SessionItemToItem,
    SparkALS,
    TimeDecayedPopularity,
)

BLOCK_A = [f"a{i}" for i in range(6)]
BLOCK_B = [f"b{i}" for i in range(6)]
TEXT = {
    **{i: "red leather shoe boot" for i in BLOCK_A},
    **{i: "blue wool hat scarf" for i in BLOCK_B},
}


def block_interactions() -> pd.DataFrame:
    """Users u0..u5 buy in block A, u6..u11 in block B; user k skips item k % 6 of its block."""
    rows = []
    for u in range(12):
        block = BLOCK_A if u < 6 else BLOCK_B
        rows += [(f"u{u}", item, float(u)) for j, item in enumerate(block) if j != u % 6]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


FACTORIES: dict[str, Callable[[], Recommender]] = {
    "ease": lambda: EASE(l2=1.0),
    "itemknn-cosine": lambda: ItemKNN("cosine", k=20),
    "itemknn-bm25": lambda: ItemKNN("bm25", k=20),
    "itemknn-tfidf": lambda: ItemKNN("tfidf", k=20),
    "rp3beta": lambda: RP3beta(alpha=1.0, beta=0.5, k=20),
    "als": lambda: ALS(factors=2, regularization=0.1, iterations=20),
    "bpr": lambda: BPR(factors=8, learning_rate=0.05, iterations=300),
    "content": lambda: ContentTfidf(TEXT),
    "session": lambda: SessionItemToItem(),
    "sequence": lambda: SequenceNeighbours(window=3),
    "popularity": lambda: TimeDecayedPopularity(half_life_days=1.0),
    "ranker": lambda: CandidateRanker(
        {"ease": (EASE, {"l2": 1.0}), "knn": (ItemKNN, {"k": 20})},
        n_candidates=12,
        inner_split=lambda d: leave_one_out_split(d, seed=1),
        booster_params={"max_iter": 20, "min_samples_leaf": 2},
    ),
    "spark-als": pytest.param(lambda: _spark_als(), marks=pytest.mark.spark),
}


def _spark_als() -> SparkALS:
    # SparkALS reuses the process's session. Started here with the Kafka connector, as the
    # pipelines start theirs, so that a later Kafka test in the same pytest run can read Kafka
    # (a JVM's jars are fixed when it starts).
    from pipelines.spark import build_spark

    build_spark("local[1]", "emporium-unit-tests", "1g", 2, kafka=True)
    return SparkALS(factors=2, regularization=0.1, iterations=10, master="local[1]")


@pytest.fixture(params=list(FACTORIES.values()), ids=list(FACTORIES))
def fitted(request: pytest.FixtureRequest) -> Recommender:
    return request.param().fit(block_interactions())


def own_block(user: str) -> list[str]:
    return BLOCK_A if int(user[1:]) < 6 else BLOCK_B


def seen(user: str) -> set[str]:
    df = block_interactions()
    return set(df.loc[df.user_id == user, "item_id"])


def test_recommends_the_missing_item_of_the_users_block(fitted: Recommender) -> None:
    if not fitted.personalized:
        pytest.skip("covered by test_popularity_recommends_the_most_popular_unseen_item")
    users = [f"u{u}" for u in range(12)]
    ids, _ = fitted.recommend(users, n=1)
    for user, (item,) in zip(users, ids, strict=True):
        assert item in own_block(user) and item not in seen(user)


def test_seen_items_are_excluded_only_when_asked(fitted: Recommender) -> None:
    ids, scores = fitted.recommend(["u0", "u7"], n=12)
    for user, row, sc in zip(["u0", "u7"], ids, scores, strict=True):
        assert not set(row[np.isfinite(sc)]) & seen(user)
    ids_all, _ = fitted.recommend(["u0"], n=12, filter_seen=False)
    assert set(ids_all[0]) == set(BLOCK_A + BLOCK_B)


def test_excluded_items_are_never_recommended(fitted: Recommender) -> None:
    ids, scores = fitted.recommend(["u0"], n=12, exclude=["a0", "b3"], filter_seen=False)
    assert not {"a0", "b3"} & set(ids[0][np.isfinite(scores[0])])


def test_scores_are_sorted_best_first(fitted: Recommender) -> None:
    _, scores = fitted.recommend(["u3", "u8"], n=5, filter_seen=False)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_a_new_users_history_is_honoured(fitted: Recommender) -> None:
    if not fitted.personalized:
        pytest.skip("popularity ignores history by design")
    history = {"visitor": ["b0", "b1", "b2"], "u0": ["b4", "b5", "b0"]}
    ids, _ = fitted.recommend(["visitor", "u0"], user_items=history, n=2)
    assert set(ids[0]) <= set(BLOCK_B) - {"b0", "b1", "b2"}
    # u0 was trained on block A, but its current history is block B: fold-in follows it.
    assert set(ids[1]) <= set(BLOCK_B)


def test_similar_items_stay_in_the_block(fitted: Recommender) -> None:
    if not fitted.personalized:
        pytest.skip("popularity has no item similarity")
    ids, _ = fitted.similar_items(["a0", "b0"], n=3)
    assert "a0" not in ids[0] and set(ids[0]) <= set(BLOCK_A)
    assert set(ids[1]) <= set(BLOCK_B)


def test_save_and_load_give_the_same_answers(fitted: Recommender, tmp_path) -> None:
    before = fitted.recommend(["u1", "u9"], n=4)
    loaded = Recommender.load(fitted.save(tmp_path / "model.pkl"))
    after = loaded.recommend(["u1", "u9"], n=4)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_allclose(before[1], after[1], rtol=1e-5)


def test_recommend_frame_is_long_and_ranked(fitted: Recommender) -> None:
    frame = fitted.recommend_frame(["u2"], n=3)
    assert list(frame.columns) == ["user_id", "item_id", "score", "rank"]
    assert frame["rank"].tolist() == [1, 2, 3][: len(frame)]


@pytest.mark.parametrize("name", ["ease", "itemknn-cosine", "als", "popularity", "content"])
def test_misuse_raises(name: str) -> None:
    model = FACTORIES[name]()
    with pytest.raises(NotFittedError):
        model.recommend(["u0"])
    model.fit(block_interactions())
    with pytest.raises(ValueError):
        model.recommend(["u0"], n=0)
    with pytest.raises(ValueError):
        model.similar_items(["nope"])
    with pytest.raises(ValueError):
        model.fit(pd.DataFrame({"user": [1], "item": [2]}))


def test_popularity_recommends_the_most_popular_unseen_item() -> None:
    df = pd.DataFrame(
        {"user_id": ["x", "y", "z", "z", "y", "x"], "item_id": ["p", "p", "p", "q", "q", "r"]}
    )
    model = TimeDecayedPopularity().fit(df)
    assert model.recommend(["x", "new"], user_items={"x": ["p"]}, n=1)[0][:, 0].tolist() == [
        "q",
        "p",
    ]


def test_time_decay_prefers_recent_items() -> None:
    day = 86_400
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "item_id": ["old", "old", "old", "new"],
            "timestamp": [0, 0, 0, 30 * day],
        }
    )
    ids, _ = TimeDecayedPopularity(half_life_days=7).fit(df).recommend(["z"], {}, n=2)
    assert ids[0].tolist() == ["new", "old"]
    ids, _ = TimeDecayedPopularity().fit(df).recommend(["z"], {}, n=2)
    assert ids[0].tolist() == ["old", "new"]


def test_content_recommends_items_nobody_bought() -> None:
    text = {**TEXT, "a-new": "red leather shoe sandal"}
    model = ContentTfidf(text).fit(block_interactions())
    ids, _ = model.recommend(["u0"], n=2)
    assert "a-new" in ids[0]
