"""RecommendationService: known users, fold-in, new visitors, similar items, text ids."""

from __future__ import annotations

import pandas as pd
import pytest

from models.recommenders import EASE
from models.serving import RecommendationService, UnknownItem


def blocks() -> pd.DataFrame:
    """Integer ids on purpose: requests arrive as text. Users 0-5 buy 10-15, 6-11 buy 20-25;
    user k skips one item of its block; item 10 is the most bought."""
    rows = []
    for u in range(12):
        block = range(10, 16) if u < 6 else range(20, 26)
        rows += [(u, i) for j, i in enumerate(block) if j != u % 6 or i == 10]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


@pytest.fixture(scope="module")
def service() -> RecommendationService:
    return RecommendationService(EASE(l2=1.0).fit(blocks()), version="7")


def test_a_known_user_gets_the_item_missing_from_their_block(service: RecommendationService):
    items, personal = service.for_user("1", n=1)
    assert personal and [s.item_id for s in items] == ["11"]


def test_new_items_are_folded_in_and_not_recommended_back(service: RecommendationService):
    items, personal = service.for_user("visitor", ["20", "21", "22"], n=3)
    assert personal
    ids = [s.item_id for s in items]
    assert set(ids) <= {"23", "24", "25"}


def test_unknown_item_ids_are_ignored_and_an_unknown_visitor_gets_popular_items(
    service: RecommendationService,
) -> None:
    items, personal = service.for_user("visitor", ["no-such-item"], n=2)
    assert not personal
    assert items[0].item_id == "10"  # bought by every user of its block


def test_similar_items_stay_in_the_block(service: RecommendationService) -> None:
    assert {s.item_id for s in service.similar("21", 3)} <= {"20", "22", "23", "24", "25"}
    with pytest.raises(UnknownItem):
        service.similar("99", 3)


def test_n_caps_the_answer(service: RecommendationService) -> None:
    assert len(service.popular(3)) == 3
    assert len(service.for_user("2", n=2)[0]) == 2


def test_popular_items_follow_the_weights_when_the_data_has_them() -> None:
    # Item 1 is bought more often, but long ago (small decayed weights); item 2 recently.
    history = pd.DataFrame(
        {
            "user_id": [0, 1, 2, 3, 4],
            "item_id": [1, 1, 1, 2, 2],
            "weight": [0.1, 0.1, 0.1, 1.0, 1.0],
        }
    )
    service = RecommendationService(EASE(l2=1.0).fit(history))
    assert [s.item_id for s in service.popular(2)] == ["2", "1"]
    unweighted = RecommendationService(EASE(l2=1.0).fit(history.drop(columns="weight")))
    assert [s.item_id for s in unweighted.popular(2)] == ["1", "2"]


def test_a_known_user_is_served_with_the_weights_of_their_history() -> None:
    """The service rebuilt a known user's history without its weights, so a weighted model
    answered the API differently from how it was evaluated."""
    import numpy as np

    from models.recommenders import ALS

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user_id": rng.integers(0, 40, 600), "item_id": rng.integers(0, 50, 600),
                       "weight": rng.integers(1, 9, 600).astype(float)})  # fmt: skip
    model = ALS(factors=8, iterations=5, regularization=0.1).fit(df)
    service = RecommendationService(model)
    for user in (1, 2, 3):
        served, personal = service.for_user(str(user), n=5)
        ids, _ = model.recommend([user], n=5)
        assert personal and [s.item_id for s in served] == [str(i) for i in ids[0]]


def test_ids_read_as_floats_are_the_same_user_and_item(service: RecommendationService) -> None:
    """The pyfunc matched "1.0" to user 1; the HTTP API served it popular items instead."""
    items, personal = service.for_user("1.0", n=1)
    assert personal and [s.item_id for s in items] == ["11"]
    assert [s.item_id for s in service.similar("11.0", n=3)] == [
        s.item_id for s in service.similar("11", n=3)
    ]
    folded, _ = service.for_user("nobody", items=["11.0"], n=3)
    assert "11" not in {s.item_id for s in folded}


def test_only_the_float_form_of_an_integer_id_is_that_id() -> None:
    """Matched through float(), "9007199254740993" was customer 9007199254740992 (rounding)
    and "1_2042" or "1.2042e4" were 12042."""
    from models.id_text import IdsByText

    ids = IdsByText([12042, 9007199254740992, 0])
    assert [ids.get(t) for t in ("12042", "12042.0", "12042.00", "0.0")] == [12042, 12042, 12042, 0]
    for text in (
        "9007199254740993",
        "9007199254740993.0",
        "1_2042",
        "1.2042e4",
        " 12042 ",
        "12042.5",
    ):
        assert ids.get(text) is None, text


def test_a_forgotten_user_is_served_as_a_visitor(service: RecommendationService) -> None:
    assert service.knows_user("1") and not service.knows_user("visitor")
    items, personal = service.for_user("1", n=2, forget=True)
    assert not personal and [s.item_id for s in items] == ["10", "11"]  # the most popular
    folded, personal = service.for_user("1", ["20", "21", "22"], n=3, forget=True)
    as_visitor, _ = service.for_user("visitor", ["20", "21", "22"], n=3)
    assert personal and folded == as_visitor  # their own block (10-15) counts for nothing


def _served_as_recommend(model, service: RecommendationService, user, new: list) -> None:
    """The service's answer equals ``recommend`` over the table the service used to build
    (the user's training rows with their weights, plus ``new`` at weight 1)."""
    history = model.train_history_
    own = history[history["user_id"] == user] if user is not None else history.iloc[:0]
    added = pd.DataFrame({"user_id": [user] * len(new), "item_id": new})
    if "weight" in own.columns:
        added["weight"] = 1.0
    key = user if user is not None else "visitor"
    table = pd.concat([own.assign(user_id=key), added.assign(user_id=key)], ignore_index=True)
    ids, scores = model.recommend([key], user_items=table, n=5)
    served, _ = service.for_user("visitor" if user is None else str(user), [str(i) for i in new], 5)
    assert [s.item_id for s in served] == [str(i) for i in ids[0]]
    assert [s.score for s in served] == pytest.approx(scores[0].tolist())


@pytest.mark.parametrize("family", ["ease", "als", "itemknn", "popularity", "ranker"])
def test_the_kept_history_rows_answer_as_recommend_over_a_table(family: str) -> None:
    """The service keeps each user's history as a matrix row instead of building a table per
    request; the answers must not change, fold-in, weights and new visitors included."""
    import numpy as np

    from models.ranker import CandidateRanker
    from models.recommenders import ALS, ItemKNN, TimeDecayedPopularity

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"user_id": rng.integers(0, 40, 700), "item_id": rng.integers(0, 60, 700),
                       "weight": rng.integers(1, 9, 700).astype(float),
                       "timestamp": rng.integers(0, 10_000, 700)})  # fmt: skip
    model = {
        "ease": lambda: EASE(l2=5.0),
        "als": lambda: ALS(factors=8, iterations=5, regularization=0.1),
        "itemknn": lambda: ItemKNN(k=20),
        "popularity": lambda: TimeDecayedPopularity(half_life_days=1.0),
        "ranker": lambda: CandidateRanker(
            {"ease": (EASE, {"l2": 5.0}), "knn": (ItemKNN, {"k": 20})}, n_candidates=10
        ),
    }[family]().fit(df)
    service = RecommendationService(model)
    for user, new in ((1, []), (2, [5, 7, 7]), (3, [int(df["item_id"].iloc[0])]), (None, [4, 9])):
        _served_as_recommend(model, service, user, new)
