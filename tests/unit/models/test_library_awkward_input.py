"""What a data scientist's awkward but realistic input does to the library (each case was a
traceback or a silently wrong answer before)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_ranker import ITEMS, SOURCES, block_interactions

from models.benchmark import Candidate, select
from models.evaluation.metrics import ranking_metrics
from models.evaluation.splitters import last_n_split
from models.protocols import msr_valid_split
from models.ranker import CandidateRanker
from models.recommenders import ALS, EASE, ItemKNN, SessionItemToItem, TimeDecayedPopularity
from models.recommenders.session import sessionize
from models.tracking.pyfunc import RecommenderPyfunc


def test_a_seen_item_of_weight_zero_is_still_not_recommended() -> None:
    df = pd.DataFrame(
        {"user_id": [1, 1, 2, 2, 3], "item_id": ["a", "b", "b", "c", "a"],
         "weight": [0.0, 1, 1, 1, 1]}
    )  # fmt: skip
    for model in (EASE(l2=1.0), ItemKNN(k=5), TimeDecayedPopularity()):
        answered = model.fit(df).recommend_frame([1], n=3)  # without the -inf fillers
        assert set(answered["item_id"]) == {"c"}, type(model).__name__


def test_a_user_asked_for_twice_gets_the_same_answer_twice() -> None:
    df = block_interactions()
    model = EASE(l2=1.0).fit(df)
    ids, scores = model.recommend(["u1", "u7", "u1"], n=3)
    assert (ids[0] == ids[2]).all() and (scores[0] == scores[2]).all() and ids[1][0] == "b1"
    assert model.score_items(["u7", "u7"]).shape == (2, 12)
    frame = model.recommend_frame(iter(["u1", "u7"]), n=2)  # an iterator, used once
    assert list(frame["user_id"]) == ["u1", "u1", "u7", "u7"]


def test_similar_items_wants_a_positive_n() -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        EASE(l2=1.0).fit(block_interactions()).similar_items(["a1"], n=-1)


@pytest.mark.parametrize("half_life", [0.0, -3.0, float("nan")])
def test_a_half_life_must_be_positive(half_life: float) -> None:
    with pytest.raises(ValueError, match="half_life_days must be > 0"):
        TimeDecayedPopularity(half_life_days=half_life)


def test_iso_text_times_are_read_and_other_text_is_a_clear_error() -> None:
    df = pd.DataFrame(
        {"user_id": [1, 2, 3], "item_id": ["a", "b", "b"],
         "timestamp": ["2020-01-01", "2020-03-01T10:00:00Z", "2020-03-02T00:00:00+02:00"]}
    )  # fmt: skip
    ids, _ = TimeDecayedPopularity(half_life_days=10).fit(df).recommend([4], n=2)
    assert list(ids[0]) == ["b", "a"]
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        TimeDecayedPopularity(half_life_days=10).fit(df.assign(timestamp="yesterday"))


def test_a_time_split_refuses_rows_without_a_time() -> None:
    df = pd.DataFrame({"user_id": [1, 1, 1], "item_id": ["a", "b", "c"],
                       "timestamp": [1.0, np.nan, 3.0]})  # fmt: skip
    with pytest.raises(ValueError, match="1 row\\(s\\) have no timestamp"):
        last_n_split(df)


def test_rows_without_a_session_are_not_one_giant_session() -> None:
    df = pd.DataFrame(
        {"user_id": ["v1", "v2", "v3", "v4", "v4"], "item_id": ["a", "b", "c", "a", "d"],
         "session_id": [None, None, None, "s1", "s1"]}
    )  # fmt: skip
    keys = sessionize(df)
    assert keys.iloc[:3].nunique() == 3 and keys.iloc[3] == keys.iloc[4]
    ids, _ = SessionItemToItem().fit(df).similar_items(["a"], n=1)
    assert list(ids[0]) == ["d"]  # only the real session co-occurs with a


def test_metrics_count_an_item_listed_twice_once_and_refuse_nonsense() -> None:
    truth = pd.DataFrame({"user_id": [1, None], "item_id": ["a", "b"]})
    recs = pd.DataFrame({"user_id": [1, 1], "item_id": ["a", "a"], "score": [2.0, 1.0]})
    metrics = ranking_metrics(truth, recs, 10)
    assert metrics["map"] == metrics["recall@10"] == metrics["ndcg@10"] == 1.0
    with pytest.raises(ValueError, match="k must be >= 1"):
        ranking_metrics(truth, recs, 0)
    with pytest.raises(ValueError, match="need a 'rank' or 'score' column"):
        ranking_metrics(truth, recs.drop(columns="score"), 10)


def test_a_selection_that_could_build_no_ranker_stops_before_training() -> None:
    idle = [Candidate("ease", EASE, [{"l2": 1.0}], ranker_source=False)]
    with pytest.raises(ValueError, match="no candidate family is a ranker source"):
        select(block_interactions(), msr_valid_split, candidates=idle)
    with pytest.raises(ValueError, match="'ease' has an empty grid"):
        select(block_interactions(), msr_valid_split, candidates=[Candidate("ease", EASE, [])])


def test_the_ranker_scores_a_user_the_same_alone_or_in_a_batch() -> None:
    from models.evaluation.splitters import leave_one_out_split

    ranker = CandidateRanker(SOURCES, n_candidates=12, item_features=ITEMS)
    ranker.inner_split = lambda d: leave_one_out_split(d, seed=1)
    ranker.fit(block_interactions())
    alone = ranker.score_items(["u0"])
    together = ranker.score_items(["u0", "u1", "u2", "u8"])
    assert np.array_equal(alone[0], together[0])
    ids, scores = ranker.recommend(["u0"], n=12, filter_seen=False)  # seen: fillers, last
    assert not set(ids[0][np.isfinite(scores[0])]) & set(
        block_interactions().query("user_id == 'u0'").item_id
    )
    with pytest.raises(ValueError, match="item_id must be unique"):
        CandidateRanker(SOURCES, item_features=pd.concat([ITEMS, ITEMS.head(1)]))


def _pyfunc(model) -> RecommenderPyfunc:
    wrapper = RecommenderPyfunc(n=5)
    wrapper.model = model
    return wrapper


def test_the_pyfunc_answers_one_user_alone_as_in_any_request() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user_id": rng.integers(0, 40, 600), "item_id": rng.integers(0, 50, 600),
                       "weight": rng.integers(1, 9, 600).astype(float)})  # fmt: skip
    wrapper = _pyfunc(ALS(factors=8, iterations=5, regularization=0.1).fit(df))
    alone = wrapper.predict(None, pd.DataFrame({"user_id": ["1"]}))
    noisy = wrapper.predict(None, pd.DataFrame({"user_id": ["1", "2"], "history": ["", "99999"]}))
    assert list(alone["item_id"]) == list(noisy.loc[noisy.user_id == "1", "item_id"])


def test_the_pyfunc_matches_ids_by_their_text() -> None:
    df = pd.DataFrame({"user_id": [12042, 12042, 7, 7, 9], "item_id": [1, 2, 2, 3, 1]})
    wrapper = _pyfunc(EASE(l2=1.0).fit(df))
    out = wrapper.predict(
        None,
        pd.DataFrame(
            {"user_id": ["12042.0", "alice", "12042"], "history": [None, "3 abc 3.0", ""]}
        ),
    )
    for user in ("12042.0", "12042"):  # a float-read customer id is the same customer
        assert set(out.loc[out.user_id == user, "item_id"]) == {"3"}
    assert "3" not in set(out.loc[out.user_id == "alice", "item_id"])  # alice's own item
    assert not math.isnan(out["score"].sum())


def test_the_pyfunc_answers_each_row_from_its_own_history() -> None:
    """Rows sharing a user had their histories merged: a row that said "no new events" was
    answered from the other row's history, and both got the same answer."""
    wrapper = _pyfunc(EASE(l2=1.0).fit(block_interactions()))
    alone = wrapper.predict(None, pd.DataFrame({"user_id": ["u0"], "history": [""]}))
    both = wrapper.predict(
        None, pd.DataFrame({"user_id": ["u0", "u6", "u0"], "history": ["", "", "a0 b0"]})
    )
    rows = [both.iloc[k * 5 : (k + 1) * 5] for k in range(3)]  # n = 5 each, in input order
    assert list(rows[0]["item_id"]) == list(alone["item_id"]) and "a0" in set(alone["item_id"])
    assert set(rows[1]["user_id"]) == {"u6"} and set(rows[2]["user_id"]) == {"u0"}
    assert not {"a0", "b0"} & set(rows[2]["item_id"])  # its own new items are not offered
    assert list(rows[2]["rank"]) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), -1.0, "heavy"])
def test_weights_must_be_finite_numbers_of_at_least_zero(weight: object) -> None:
    df = pd.DataFrame({"user_id": [1, 2], "item_id": ["a", "b"], "weight": [1.0, weight]})
    with pytest.raises(ValueError, match="1 weight\\(s\\) are not finite numbers >= 0"):
        EASE(l2=1.0, binary=False).fit(df)
