"""A learning-to-rank recommender over the union of several recommenders' candidates.

Trained without touching any evaluation data: the sources are fitted on an *inner train*
part of the training interactions, labels come from the *inner validation* part, then the
sources are refitted on all training interactions for serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from models.columns import ITEM_COL, USER_COL
from models.errors import FitFailed
from models.evaluation.splitters import stratified_split
from models.ranker.booster import (
    BOOSTERS,
    after_candidates,
    booster_scores,
    fused_with_anchor,
    train_booster,
)
from models.ranker.features import (
    ItemStats,
    attribute_columns,
    category_matrix,
    history_matrix,
    pair_features,
    source_features,
    user_frame,
)
from models.recommenders.base import Recommender

SourceSpec = tuple[type[Recommender], dict[str, Any]]
InnerSplitter = Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]


def default_inner_split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random stratified 75/25 by item (seed 7), mirroring the MSR protocol."""
    return stratified_split(df, ratio=0.75, filter_by="item", seed=7)


class CandidateRanker(Recommender):
    """Gradient-boosted re-ranking of candidates from several recommenders.

    It ranks the union of its sources' candidates, items new to each user (its booster
    learned from such items). Every other item the user has not seen follows them, in the
    order of the anchor source (or the first source), so a caller that drops some candidates
    (e.g. out of stock) can still be given ``n`` items. With ``filter_seen=False`` the items a
    user has seen come last, as ``-inf`` fillers, never ranked among them.

    Parameters
    ----------
    sources : dict
        Name -> (Recommender class, constructor kwargs); each is a candidate source.
    n_candidates : int
        Candidates taken from each source per user.
    inner_split : callable, optional
        Splits the training interactions into (inner train, inner validation). Default:
        stratified by item; pass a temporal splitter for time-split protocols.
    item_features : pandas.DataFrame, optional
        ``item_id`` with optional ``price`` and ``category`` ("a|b" for several); any other
        numeric column (e.g. release year) becomes a feature too.
    user_features : pandas.DataFrame, optional
        ``user_id`` with numeric columns (e.g. age); users it does not list get NaN.
    anchor : str, optional
        A source whose ranking is fused with the booster's at serving time (e.g. the best
        single model): ``score = -((1-w)·log rank_booster + w·log rank_anchor)``.
    anchor_weight : float
        ``w`` above, in [0, 1); 0 (the default) serves the booster's order alone.
    booster_params : dict, optional
        Passed to scikit-learn's ``HistGradientBoostingClassifier``.
    seed : int
        Random seed of the booster.
    booster : {"hgb", "lgbm-lambdarank"}
        scikit-learn's HistGradientBoostingClassifier (pointwise, the default) or LightGBM's
        lambdarank (optional dependency ``lightgbm``).
    inner_repeats : int
        Inner splits whose training tables are stacked (random splitters give a new split
        on a shuffled copy; more labels for the booster).
    n_threads : int
        OpenMP threads of the booster (1 by default: on a shared 2-core machine more threads
        spin-wait and run an order of magnitude slower).
    """

    name = "ranker"

    def __init__(
        self,
        sources: dict[str, SourceSpec],
        n_candidates: int = 50,
        inner_split: InnerSplitter | None = None,
        item_features: pd.DataFrame | None = None,
        booster_params: dict[str, Any] | None = None,
        seed: int = 42,
        n_threads: int = 1,
        booster: str = "hgb",
        inner_repeats: int = 1,
        user_features: pd.DataFrame | None = None,
        anchor: str | None = None,
        anchor_weight: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= anchor_weight < 1.0:
            raise ValueError("anchor_weight must be in [0, 1)")
        if anchor_weight and anchor not in sources:
            raise ValueError(f"anchor {anchor!r} is not one of the sources {sorted(sources)}")
        self.anchor, self.anchor_weight = anchor, anchor_weight
        self.sources, self.n_candidates = sources, n_candidates
        self.inner_split = inner_split or default_inner_split
        self.item_features, self.user_features = item_features, user_features
        self.booster_params = booster_params or {}
        self.seed, self.n_threads = seed, n_threads
        if booster not in BOOSTERS:
            raise ValueError(f"booster must be one of {BOOSTERS}")
        self.booster, self.inner_repeats = booster, inner_repeats
        for table, key in ((item_features, ITEM_COL), (user_features, USER_COL)):
            if table is not None and table[key].duplicated().any():
                raise ValueError(f"{key} must be unique in the ranker's {key[:4]} features")
        if _has_price(item_features) and not pd.api.types.is_numeric_dtype(
            item_features["price"]  # type: ignore[index]
        ):  # refused here, not after the sources are fitted
            raise ValueError("item_features.price must be numeric")
        self.models_: dict[str, Recommender] = {}
        self.booster_: Any = None
        self.blank_features_: np.ndarray | None = None
        self.feature_names_: list[str] = []

    def unfitted_copy(self, **changes: Any) -> CandidateRanker:
        """A new, unfitted ranker with these settings (its sources' included), except
        ``changes`` (e.g. fresh ``item_features``, or the ``inner_split`` a pickle dropped).

        Parameters
        ----------
        **changes
            Constructor arguments to replace.
        """
        settings = {
            "sources": self.sources, "n_candidates": self.n_candidates,
            "inner_split": self.inner_split, "item_features": self.item_features,
            "booster_params": self.booster_params, "seed": self.seed,
            "n_threads": self.n_threads, "booster": self.booster,
            "inner_repeats": self.inner_repeats, "user_features": self.user_features,
            "anchor": self.anchor, "anchor_weight": self.anchor_weight,
        }  # fmt: skip
        return type(self)(**settings | changes)

    def __getstate__(self) -> dict[str, Any]:
        # The inner splitter is only needed by fit() and may be a lambda; keep pickles portable.
        return {**self.__dict__, "inner_split": default_inner_split}

    # --- training -------------------------------------------------------------------------
    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        xs, ys, groups = [], [], []
        for r in range(self.inner_repeats):
            # A random splitter follows row order, so a shuffled copy gives another split.
            rows = interactions if r == 0 else interactions.sample(frac=1.0, random_state=r)
            x, y, pairs = self.training_table(*self.inner_split(rows))
            xs.append(x)
            ys.append(y)
            groups.append(pairs["_u"].to_numpy() + r * (len(interactions) + 1))
        x, y = np.vstack(xs), np.concatenate(ys)
        if len(np.unique(y)) < 2:
            raise FitFailed(
                f"the ranker's inner split gives {len(y)} candidate(s), "
                f"{int(y.sum())} of them relevant: it needs both kinds (more users and items)"
            )
        # A feature missing everywhere (times, without timestamps) tells the booster nothing,
        # and scikit-learn's binning cannot take an all-NaN column: it becomes a constant.
        self.blank_features_ = np.isnan(x).all(axis=0)
        with threadpool_limits(self.n_threads, user_api="openmp"):
            self.booster_ = train_booster(
                self.booster, self._filled(x), y, np.concatenate(groups),
                self.booster_params, self.seed, self.n_threads,
            )  # fmt: skip
        self._fit_sources(interactions)

    def training_table(
        self, inner_train: pd.DataFrame, inner_val: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Features and labels: sources fitted on ``inner_train``, labels from ``inner_val``.

        Returns
        -------
        x, y : numpy.ndarray
            Feature matrix and 0/1 labels.
        pairs : pandas.DataFrame
            ``user_id``, ``item_id`` of each row.
        """
        self._fit_sources(inner_train)
        users = pd.Index(inner_val[USER_COL].unique()).intersection(inner_train[USER_COL].unique())
        pairs, x, _ = self._features(users, inner_train, real_users=users)
        truth = inner_val[[USER_COL, ITEM_COL]].drop_duplicates().assign(_y=1)
        y = pairs.merge(truth, on=[USER_COL, ITEM_COL], how="left")["_y"].fillna(0).to_numpy()
        return x, y.astype(int), pairs

    def _filled(self, x: np.ndarray) -> np.ndarray:
        blank = getattr(self, "blank_features_", None)  # absent in models pickled before it
        if blank is None or not blank.any():
            return x
        x = x.copy()
        x[:, blank] = 0.0
        return x

    def _predict(self, x: np.ndarray) -> np.ndarray:
        return booster_scores(self.booster, self.booster_, self._filled(x))

    def _fit_sources(self, interactions: pd.DataFrame) -> None:
        self.models_ = {n: cls(**kw).fit(interactions) for n, (cls, kw) in self.sources.items()}
        self._stats = ItemStats.from_interactions(interactions, self.item_ids_)
        self._categories = category_matrix(self.item_features, self.item_ids_)
        # Numeric item columns, aligned with item_ids_ once here rather than per scored batch.
        self._item_attributes = attribute_columns(
            self.item_features, ITEM_COL, self.item_ids_, "item_", ("category",)
        )
        self._price = self._item_attributes.pop("item_price", None)
        if _has_price(self.item_features) and self._price is None:
            raise ValueError("item_features.price must be numeric")
        known = pd.Index(interactions[USER_COL].unique())
        self._user_stats = user_frame(interactions, known)
        self._mean_hist_len = float(self._user_stats["hist_len"].mean())
        self._user_days = self._stats.user_days(interactions, known)

    # --- features and scoring -------------------------------------------------------------
    def _features(
        self,
        users: pd.Index,
        history: pd.DataFrame,
        stats: pd.DataFrame | None = None,
        real_users: pd.Index | None = None,
        days: sp.csr_matrix | None = None,
    ) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
        """Candidate pairs of ``users``, their features, and each source's scores of every
        item. ``real_users`` are the ids the user attributes are looked up by (``users`` may
        be placeholders at serving time); ``stats`` and ``days`` are the users' time
        statistics when ``history`` has no times."""
        hist = history_matrix(history, users, self.item_ids_)
        scores = {n: self._aligned_scores(m, users, history) for n, m in self.models_.items()}
        u, i, cols = source_features(scores, hist, self.n_candidates)
        cols |= pair_features(
            u,
            i,
            user_frame(history, users) if stats is None else stats,
            self._stats,
            hist,
            self._categories,
            self._price,
            self._stats.user_days(history, users) if days is None else days,
            getattr(self, "_mean_hist_len", None),  # absent in models pickled before it
        )
        cols |= {name: values[i] for name, values in self._item_attributes.items()}
        if real_users is not None:
            people = attribute_columns(self.user_features, USER_COL, real_users, "user_")
            cols |= {name: values[u] for name, values in people.items()}
        self.feature_names_ = list(cols)
        pairs = pd.DataFrame({USER_COL: users.to_numpy()[u], ITEM_COL: self.item_ids_[i]})
        pairs["_u"], pairs["_i"] = u, i
        return pairs, np.column_stack(list(cols.values())).astype(np.float32), scores

    def _aligned_scores(self, model: Recommender, users: pd.Index, history: pd.DataFrame):
        raw = model.score_items(users, history)
        cols = model.item_ids_.get_indexer(self.item_ids_)
        out = np.full((len(users), len(self.item_ids_)), -np.inf, dtype=np.float32)
        out[:, cols >= 0] = raw[:, cols[cols >= 0]]
        return out

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        users = pd.Index([f"_u{k}" for k in range(history.shape[0])])
        coo = history.tocoo()
        frame = pd.DataFrame(
            {
                USER_COL: users.to_numpy()[coo.row],
                ITEM_COL: self.item_ids_[coo.col],
                "weight": coo.data,
            }
        )
        known = self.user_ids_[np.maximum(user_index, 0)].to_numpy(dtype=object)
        known[user_index < 0] = None  # unknown users: no attributes (NaN features)
        pairs, x, scores = self._features(
            users,
            frame,
            self._known_user_stats(users, user_index, history),
            real_users=pd.Index(known),
            days=self._known_user_days(user_index),
        )
        out = np.full(history.shape, -np.inf, dtype=np.float32)
        if len(pairs):
            with threadpool_limits(self.n_threads, user_api="openmp"):
                out[pairs["_u"], pairs["_i"]] = self._fused(self._predict(x), x, pairs)
        backstop = scores[self.anchor or next(iter(self.sources))]
        self._mask(backstop, history, np.empty(0, dtype=np.int64))  # seen items stay -inf
        after_candidates(out, backstop)
        return out

    def _fused(self, scores: np.ndarray, x: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
        """The booster's scores, or their log-rank fusion with the anchor source's ranks."""
        if not self.anchor_weight:
            return scores
        anchor_rank = x[:, self.feature_names_.index(f"{self.anchor}_rank")]
        return fused_with_anchor(scores, anchor_rank, pairs["_u"].to_numpy(), self.anchor_weight)

    def _known_user_days(self, user_index: np.ndarray) -> sp.csr_matrix | None:
        """Serving-time active days: known users' training days; none for new users."""
        if self._user_days is None:
            return None
        rows = self._user_days[np.maximum(user_index, 0)]
        known = sp.diags((user_index >= 0).astype(np.float32))
        return sp.csr_matrix(known @ rows)

    def _known_user_stats(
        self, users: pd.Index, user_index: np.ndarray, history: sp.csr_matrix
    ) -> pd.DataFrame:
        """Serving-time user stats: known users' training times; new users are 'now'."""
        stored = self._user_stats.reindex(self.user_ids_).to_numpy()
        rows = stored[np.maximum(user_index, 0)]
        rows[user_index < 0, 1:] = self._stats.t_end
        out = pd.DataFrame(rows, index=users, columns=self._user_stats.columns)
        out["hist_len"] = np.diff(history.indptr)
        return out


def _has_price(item_features: pd.DataFrame | None) -> bool:
    """Whether the item features give prices (an empty table gives none)."""
    return item_features is not None and len(item_features) > 0 and "price" in item_features
