"""Every metric against a case computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.evaluation import metrics as m

TRUTH = pd.DataFrame(
    {"user_id": ["A"] * 4 + ["B", "C"], "item_id": [1, 2, 3, 10, 4, 5]},
)
# A hits at ranks 1 and 3; B hits at rank 3; C gets nothing; D is not in the truth.
RECS = pd.DataFrame(
    {
        "user_id": ["A"] * 4 + ["B"] * 3 + ["D"] * 3,
        "item_id": [1, 9, 2, 3, 6, 7, 4, 1, 2, 3],
        "score": [0.9, 0.8, 0.7, 0.6, 0.9, 0.8, 0.7, 0.3, 0.2, 0.1],
    }
)


def test_precision_counts_hits_over_k_for_users_in_both() -> None:
    assert m.precision_at_k(TRUTH, RECS, k=3) == pytest.approx((2 / 3 + 1 / 3) / 2)


def test_recall_divides_by_relevant_items() -> None:
    assert m.recall_at_k(TRUTH, RECS, k=3) == pytest.approx((2 / 4 + 1 / 1) / 2)


def test_hit_rate() -> None:
    assert m.hit_rate_at_k(TRUTH, RECS, k=3) == 1.0
    assert m.hit_rate_at_k(TRUTH, RECS, k=2) == 0.5


def test_ndcg_uses_ideal_dcg_over_min_relevant_k() -> None:
    a = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    b = (1 / math.log2(4)) / 1.0
    assert m.ndcg_at_k(TRUTH, RECS, k=3) == pytest.approx((a + b) / 2)


def test_map_divides_by_all_relevant_items() -> None:
    a = (1 / 1 + 2 / 3) / 4
    b = (1 / 3) / 1
    assert m.map_score(TRUTH, RECS, k=3) == pytest.approx((a + b) / 2)


def test_map_at_k_divides_by_min_relevant_k() -> None:
    a = (1 / 1 + 2 / 3) / 3
    b = (1 / 3) / 1
    assert m.map_at_k(TRUTH, RECS, k=3) == pytest.approx((a + b) / 2)


def test_rank_column_wins_over_score() -> None:
    ranked = RECS.assign(rank=[3, 2, 1, 4, 1, 2, 3, 1, 2, 3])  # A: 2, 9, 1 in that order
    assert m.precision_at_k(TRUTH, ranked.drop(columns="score"), k=1) == pytest.approx(0.5)


def test_no_common_users_gives_zero() -> None:
    assert m.ndcg_at_k(TRUTH, RECS[RECS.user_id == "D"], k=3) == 0.0


def test_ranking_metrics_keys() -> None:
    keys = set(m.ranking_metrics(TRUTH, RECS, k=10))
    assert keys == {"ndcg@10", "map", "precision@10", "recall@10", "hit_rate@10"}


def test_catalog_coverage() -> None:
    # Top 3 items shown: A {1, 9, 2}, B {6, 7, 4}, D {1, 2, 3} -> 7 of 10.
    assert m.catalog_coverage(RECS, list(range(1, 11)), k=3) == pytest.approx(0.7)


TRAIN = pd.DataFrame(
    {"user_id": ["u1", "u1", "u2", "u2", "u3", "u3"], "item_id": [1, 2, 1, 2, 1, 3]}
)


def test_novelty_is_mean_self_information_of_recommended_items() -> None:
    recs = pd.DataFrame({"user_id": ["X", "X", "Y", "Y"], "item_id": [1, 2, 1, 3], "score": 1.0})
    # shares: item 1 3/6, item 2 2/6, item 3 1/6
    expected = (1 + math.log2(3) + 1 + math.log2(6)) / 4
    assert m.novelty(recs, TRAIN, k=10) == pytest.approx(expected)


def test_diversity_is_one_minus_intra_list_cosine() -> None:
    recs = pd.DataFrame(
        {"user_id": ["X", "X", "Y", "Y", "Y"], "item_id": [1, 2, 1, 2, 3], "score": 1.0}
    )
    s12, s13, s23 = 2 / math.sqrt(6), 1 / math.sqrt(3), 0.0
    expected = ((1 - s12) + (1 - (s12 + s13 + s23) / 3)) / 2
    assert m.diversity(recs, TRAIN, k=10) == pytest.approx(expected)
