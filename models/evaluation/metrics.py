"""Ranking and beyond-accuracy metrics, matching Microsoft Recommenders' definitions.

``truth`` holds the relevant (user, item) pairs (binary relevance); ``recs`` holds each
user's recommendations with a ``score`` (or ``rank``). As in ``python_evaluation.py`` of
recommenders-team/recommenders, accuracy metrics average over users present in both; nDCG
uses the ideal DCG over ``min(|relevant|, k)`` items; ``map`` divides the sum of precisions at
each hit in the top ``k`` by the user's number of relevant items (their ``map()``), and
``map_at_k`` by ``min(|relevant|, k)``. The log base of nDCG cancels out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL, RANK_COL, SCORE_COL, USER_COL


@dataclass(frozen=True)
class _Hits:
    """Per common user: hit flags of the top k (padded False) and the number relevant."""

    hits: np.ndarray  # (n_users, k) bool
    n_relevant: np.ndarray  # (n_users,)
    k: int


def _top_k(recs: pd.DataFrame, k: int) -> pd.DataFrame:
    """Each user's first ``k`` distinct items, by rank (or score), numbered from 0.

    Raises ``ValueError`` for ``k`` < 1 or recommendations with neither column."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if RANK_COL in recs.columns:
        ordered = recs.sort_values([USER_COL, RANK_COL], kind="stable")
    elif SCORE_COL in recs.columns:
        ordered = recs.sort_values([USER_COL, SCORE_COL], ascending=[True, False], kind="stable")
    else:
        raise ValueError(f"recommendations need a {RANK_COL!r} or {SCORE_COL!r} column")
    # An item listed twice for a user counts once, at its best place (two frames concatenated
    # gave MAP 2.0 and recall 2.0).
    ordered = ordered.dropna(subset=[USER_COL]).drop_duplicates([USER_COL, ITEM_COL])
    ordered = ordered.groupby(USER_COL, sort=False).head(k)
    return ordered.assign(_pos=ordered.groupby(USER_COL, sort=False).cumcount())


def _hits(truth: pd.DataFrame, recs: pd.DataFrame, k: int) -> _Hits:
    truth = truth.dropna(subset=[USER_COL])  # a row without a user is nobody's relevant item
    common = pd.Index(truth[USER_COL].unique()).intersection(
        pd.Index(recs[USER_COL].dropna().unique())
    )
    top = _top_k(recs[recs[USER_COL].isin(common)], k)
    rel = truth[truth[USER_COL].isin(common)][[USER_COL, ITEM_COL]].drop_duplicates()
    hit = top.merge(rel.assign(_hit=True), on=[USER_COL, ITEM_COL], how="left")
    rows = common.get_indexer(hit[USER_COL])
    flags = np.zeros((len(common), k), dtype=bool)
    flags[rows, hit["_pos"].to_numpy()] = hit["_hit"].notna().to_numpy()
    n_rel = rel.groupby(USER_COL).size().reindex(common).to_numpy()
    return _Hits(flags, n_rel, k)


def precision_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Mean over users of (hits in the top k) / k."""
    h = _hits(truth, recs, k)
    return float(h.hits.sum(axis=1).mean() / k) if len(h.hits) else 0.0


def recall_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Mean over users of (hits in the top k) / (number of relevant items)."""
    h = _hits(truth, recs, k)
    return float((h.hits.sum(axis=1) / h.n_relevant).mean()) if len(h.hits) else 0.0


def hit_rate_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Share of users with at least one relevant item in the top k."""
    h = _hits(truth, recs, k)
    return float(h.hits.any(axis=1).mean()) if len(h.hits) else 0.0


def ndcg_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal DCG covers min(|relevant|, k) items."""
    h = _hits(truth, recs, k)
    if not len(h.hits):
        return 0.0
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (h.hits * discount).sum(axis=1)
    idcg = np.cumsum(discount)[np.minimum(h.n_relevant, k) - 1]
    return float((dcg / idcg).mean())


def _average_precision_sum(h: _Hits) -> np.ndarray:
    """Per user: the sum of precision@position over the positions that are hits."""
    positions = np.arange(1, h.k + 1)
    return (np.cumsum(h.hits, axis=1) / positions * h.hits).sum(axis=1)


def map_score(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Microsoft Recommenders' ``map``: AP sum over the top k / number of relevant items."""
    h = _hits(truth, recs, k)
    return float((_average_precision_sum(h) / h.n_relevant).mean()) if len(h.hits) else 0.0


def map_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """MAP@k: AP sum over the top k / min(number of relevant items, k)."""
    h = _hits(truth, recs, k)
    if not len(h.hits):
        return 0.0
    return float((_average_precision_sum(h) / np.minimum(h.n_relevant, k)).mean())


def catalog_coverage(recs: pd.DataFrame, catalog: pd.Index | list, k: int = 10) -> float:
    """Share of the catalog that appears in somebody's top k."""
    shown = pd.Index(_top_k(recs, k)[ITEM_COL].unique())
    return float(len(shown.intersection(pd.Index(catalog))) / len(catalog)) if len(catalog) else 0.0


def novelty(recs: pd.DataFrame, train: pd.DataFrame, k: int = 10) -> float:
    """Mean self-information ``-log2(n_i / N)`` of the recommended items, ``n_i`` the train
    rows of item i and ``N`` all train rows (Microsoft Recommenders' ``novelty``: the choice
    model of Castells et al.); items never seen in train are skipped."""
    share = train.groupby(ITEM_COL).size() / len(train)
    p = _top_k(recs, k)[ITEM_COL].map(share).dropna().to_numpy(dtype=float)
    return float((-np.log2(p)).mean()) if len(p) else 0.0


def diversity(recs: pd.DataFrame, train: pd.DataFrame, k: int = 10) -> float:
    """Mean over users of 1 - the average pairwise cosine co-occurrence similarity of the
    items in their top k (similarity from train users; Microsoft Recommenders' definition)."""
    items = pd.Index(train[ITEM_COL].unique())
    users = pd.Index(train[USER_COL].unique())
    pairs = train[[USER_COL, ITEM_COL]].drop_duplicates()
    x = sp.csr_matrix(
        (
            np.ones(len(pairs)),
            (users.get_indexer(pairs[USER_COL]), items.get_indexer(pairs[ITEM_COL])),
        ),
        shape=(len(users), len(items)),
    )
    co = (x.T @ x).toarray()
    norm = np.sqrt(np.diag(co)) + 1e-12
    sim = co / np.outer(norm, norm)
    scores = []
    for _, group in _top_k(recs, k).groupby(USER_COL):
        idx = items.get_indexer(group[ITEM_COL])
        idx = idx[idx >= 0]
        if len(idx) < 2:
            continue
        block = sim[np.ix_(idx, idx)]
        mean_sim = (block.sum() - np.trace(block)) / (len(idx) * (len(idx) - 1))
        scores.append(1.0 - mean_sim)
    return float(np.mean(scores)) if scores else 0.0


def ranking_metrics(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> dict[str, float]:
    """The benchmark's accuracy metrics at ``k`` as a dict (keys as in ``--json``)."""
    return {
        f"ndcg@{k}": ndcg_at_k(truth, recs, k),
        "map": map_score(truth, recs, k),
        f"precision@{k}": precision_at_k(truth, recs, k),
        f"recall@{k}": recall_at_k(truth, recs, k),
        f"hit_rate@{k}": hit_rate_at_k(truth, recs, k),
    }
