"""The ranker's booster (fit and score) and how its scores become a ranking: fused with an
anchor source's ranks, and followed by every item that was not a candidate."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

BOOSTERS = ("hgb", "lgbm-lambdarank")


def train_booster(
    kind: str,
    x: np.ndarray,
    y: np.ndarray,
    user_rows: np.ndarray,
    params: dict[str, Any],
    seed: int,
    n_threads: int,
) -> Any:
    """Fit a booster on candidate features ``x`` and 0/1 labels ``y``.

    Parameters
    ----------
    kind : {"hgb", "lgbm-lambdarank"}
        scikit-learn's HistGradientBoostingClassifier (pointwise) or LightGBM's lambdarank
        (optional dependency ``lightgbm``).
    x, y : numpy.ndarray
        Features and labels, one row per (user, candidate).
    user_rows : numpy.ndarray
        Each row's user; rows come grouped by user (lambdarank's query groups).
    params : dict
        Overrides of the booster's defaults.
    seed, n_threads : int
        Random seed and OpenMP threads (lambdarank; scikit-learn's are set by the caller).

    Returns
    -------
    object
        The fitted booster.
    """
    if kind == "lgbm-lambdarank":
        import lightgbm

        groups = query_groups(user_rows)
        defaults = {
            "objective": "lambdarank",
            "n_estimators": 300,
            "learning_rate": 0.05,
            "num_leaves": 31,
            "min_child_samples": 50,
            "n_jobs": n_threads,
            "random_state": seed,
            "verbose": -1,
            "lambdarank_truncation_level": 20,
        }
        return lightgbm.LGBMRanker(**defaults | params).fit(x, y, group=groups)
    defaults = {"max_iter": 300, "learning_rate": 0.05, "random_state": seed}
    return HistGradientBoostingClassifier(**defaults | params).fit(x, y)


def query_groups(user_rows: np.ndarray) -> np.ndarray:
    """Sizes of the runs of equal ``user_rows``, in row order: lambdarank's query groups.

    Parameters
    ----------
    user_rows : numpy.ndarray
        Each row's user (or user and inner repeat); a user's rows must be contiguous.

    Returns
    -------
    numpy.ndarray
        One size per group, in the order the groups' rows come.

    Raises
    ------
    ValueError
        If a user's rows are split by another user's: they would be ranked as two queries.
    """
    user_rows = np.asarray(user_rows)
    if user_rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, user_rows[1:] != user_rows[:-1]])
    if len(np.unique(user_rows[starts])) != len(starts):
        raise ValueError("each user's candidate rows must be contiguous for lambdarank")
    return np.diff(np.r_[starts, len(user_rows)])


def booster_scores(kind: str, booster: Any, x: np.ndarray) -> np.ndarray:
    """Scores of candidate rows ``x``: relevance probabilities (hgb) or lambdarank scores.

    Parameters
    ----------
    kind : {"hgb", "lgbm-lambdarank"}
        What ``booster`` is.
    booster : object
        A booster from :func:`train_booster`.
    x : numpy.ndarray
        Candidate features.

    Returns
    -------
    numpy.ndarray
        One score per row; higher is better.
    """
    if kind == "lgbm-lambdarank":
        return np.asarray(booster.predict(x))
    return np.asarray(booster.predict_proba(x)[:, 1])


def fused_with_anchor(
    scores: np.ndarray, anchor_rank: np.ndarray, user_rows: np.ndarray, weight: float
) -> np.ndarray:
    """Log-rank fusion: ``-((1-w)·log rank_booster + w·log rank_anchor)`` per user.

    Parameters
    ----------
    scores : numpy.ndarray
        The booster's scores of each candidate row.
    anchor_rank : numpy.ndarray
        Each row's rank (1 = best) among the anchor source's scores of the user's unseen items.
    user_rows : numpy.ndarray
        Each row's user.
    weight : float
        ``w``, the anchor's share.

    Returns
    -------
    numpy.ndarray
        float32 fused scores; the best possible is 0.0.
    """
    booster_rank = pd.Series(scores).groupby(user_rows).rank(ascending=False, method="first")
    fused = (1 - weight) * np.log(booster_rank.to_numpy()) + weight * np.log(anchor_rank)
    return (0.0 - fused).astype(np.float32)  # 0 - x: the best item scores 0.0, not -0.0


def after_candidates(out: np.ndarray, backstop: np.ndarray) -> None:
    """Give every item that is not a candidate (``-inf`` in ``out``) but has a finite
    ``backstop`` score (seen items are ``-inf`` there) a score below all of the user's
    candidates, ordered by ``backstop`` (one step apart: exact in float32).

    Parameters
    ----------
    out : numpy.ndarray
        Users x items ranker scores, ``-inf`` where an item is not a candidate; filled in place.
    backstop : numpy.ndarray
        Users x items scores of the source that orders the rest.
    """
    rest = ~np.isfinite(out) & np.isfinite(backstop)
    if not rest.any():
        return
    lowest = np.where(np.isfinite(out), out, np.inf).min(axis=1)
    lowest[~np.isfinite(lowest)] = 0.0  # a user with no candidate at all
    by_score = np.argsort(-backstop, axis=1, kind="stable")
    order = np.empty_like(by_score)  # each item's place in the backstop's order
    np.put_along_axis(order, by_score, np.arange(backstop.shape[1])[None, :], axis=1)
    out[rest] = (lowest[:, None] - 1.0 - order)[rest]
