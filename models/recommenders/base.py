"""The one recommender interface: fit, recommend (with fold-in), similar_items, save/load.

Every implementation scores a batch of users from their *current history* (a CSR row per
user), so a user the model never saw, or one with events since training, is served without
retraining. Subclasses implement ``_fit`` and ``_score``; the base class handles ids, seen-item
filtering, exclusions, top-n selection and persistence.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL, RANK_COL, SCORE_COL, USER_COL, WEIGHT_COL
from models.errors import NotFittedError
from models.interactions import check_interactions, history_frame, to_csr

BATCH_USERS = 1024


class Recommender(ABC):
    """Base class of every emporium recommender (see the module docstring)."""

    name = "recommender"
    #: False for models whose ranking does not depend on the user (popularity).
    personalized = True

    def __init__(self) -> None:
        self.item_ids_: pd.Index | None = None
        self.user_ids_: pd.Index | None = None
        self.train_history_: pd.DataFrame | None = None

    # --- training -------------------------------------------------------------------------
    def fit(self, interactions: pd.DataFrame) -> Self:
        """Train on an interaction table.

        Parameters
        ----------
        interactions : pandas.DataFrame
            Columns ``user_id``, ``item_id`` and optionally ``weight`` and ``timestamp``.

        Returns
        -------
        Recommender
            ``self``, fitted.
        """
        check_interactions(interactions)
        if interactions.empty:
            raise ValueError("cannot fit on an empty interaction table")
        self.item_ids_ = self._item_universe(interactions)
        self.user_ids_ = pd.Index(interactions[USER_COL].unique())
        matrix = to_csr(interactions, self.user_ids_, self.item_ids_)
        self._fit(matrix, interactions)
        cols = [c for c in (USER_COL, ITEM_COL, WEIGHT_COL) if c in interactions.columns]
        self.train_history_ = interactions[cols]
        return self

    def _item_universe(self, interactions: pd.DataFrame) -> pd.Index:
        return pd.Index(interactions[ITEM_COL].unique())

    @abstractmethod
    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        """Learn from the (users x items) matrix; ``interactions`` gives extra columns."""

    @abstractmethod
    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        """Dense (n_users, n_items) scores from histories; user_index is -1 for new users."""

    # --- serving --------------------------------------------------------------------------
    def recommend(
        self,
        user_ids: Sequence[Any],
        user_items: pd.DataFrame | dict | None = None,
        n: int = 10,
        exclude: Iterable[Any] | None = None,
        filter_seen: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` items for each user, scored from the user's current history.

        Parameters
        ----------
        user_ids : sequence
            The users to serve; unknown users are served from ``user_items`` (fold-in).
        user_items : pandas.DataFrame or dict, optional
            The users' current history (``user_id``, ``item_id``[, ``weight``]) or
            ``{user_id: [item_id, ...]}``. Default: the training interactions.
        n : int
            How many items per user.
        exclude : iterable, optional
            Item ids never to recommend (e.g. out of stock).
        filter_seen : bool
            Drop items already in the user's history.

        Returns
        -------
        ids, scores : numpy.ndarray
            Arrays of shape (len(user_ids), n'), best first, n' = min(n, catalog size).
            A score of ``-inf`` marks a filler position when fewer items were eligible.
        """
        self._check_fitted()
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        users, rows = _unique(user_ids)
        if rows is not None:  # a user asked for twice gets the same answer twice
            ids, scores = self.recommend(users, user_items, n, exclude, filter_seen)
            return ids[rows], scores[rows]
        history = self._history_matrix(users, user_items)
        return self.recommend_history(
            history, self.user_ids_.get_indexer(users), n, exclude, filter_seen
        )

    def recommend_history(
        self,
        history: sp.csr_matrix,
        user_index: np.ndarray,
        n: int = 10,
        exclude: Iterable[Any] | None = None,
        filter_seen: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``recommend`` for histories already in matrix form (e.g. kept by a server, so a
        request builds no table).

        Parameters
        ----------
        history : scipy.sparse.csr_matrix
            One row per user, one column per item of ``item_ids_``: summed weights.
        user_index : numpy.ndarray
            Each row's position in ``user_ids_``, -1 for a user the model never saw.
        n, exclude, filter_seen
            As in ``recommend``.

        Returns
        -------
        ids, scores : numpy.ndarray
            As in ``recommend``.
        """
        self._check_fitted()
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if history.shape != (len(user_index), len(self.item_ids_)):
            raise ValueError(
                f"history has shape {history.shape}, expected "
                f"({len(user_index)}, {len(self.item_ids_)}): one row per user, a column per item"
            )
        users, known = range(len(user_index)), np.asarray(user_index)
        banned = self.item_ids_.get_indexer(list(exclude or []))
        n = min(n, len(self.item_ids_))
        idx_out = np.empty((len(users), n), dtype=np.int64)
        sc_out = np.empty((len(users), n), dtype=np.float32)
        for start in range(0, len(users), BATCH_USERS):
            sl = slice(start, start + BATCH_USERS)
            scores = np.asarray(self._score(history[sl], known[sl]), dtype=np.float32)
            self._mask(scores, history[sl] if filter_seen else None, banned[banned >= 0])
            idx_out[sl], sc_out[sl] = _top_n(scores, n)
        return self.item_ids_.to_numpy()[idx_out], sc_out

    def score_items(
        self, user_ids: Sequence[Any], user_items: pd.DataFrame | dict | None = None
    ) -> np.ndarray:
        """Raw scores of every item (columns in ``item_ids_`` order) for each user.

        Parameters
        ----------
        user_ids : sequence
            The users; histories come from ``user_items`` as in ``recommend``.
        user_items : pandas.DataFrame or dict, optional
            The users' current history (default: the training interactions).

        Returns
        -------
        numpy.ndarray
            (len(user_ids), n_items) float32 scores, nothing filtered.
        """
        self._check_fitted()
        users, rows = _unique(user_ids)
        if rows is not None:
            return self.score_items(users, user_items)[rows]
        history = self._history_matrix(users, user_items)
        known = self.user_ids_.get_indexer(users)
        parts = [
            np.asarray(self._score(history[i : i + BATCH_USERS], known[i : i + BATCH_USERS]))
            for i in range(0, len(users), BATCH_USERS)
        ]
        return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, len(self.item_ids_)))

    def recommend_frame(
        self,
        user_ids: Sequence[Any],
        user_items: pd.DataFrame | dict | None = None,
        n: int = 10,
        exclude: Iterable[Any] | None = None,
        filter_seen: bool = True,
    ) -> pd.DataFrame:
        """``recommend`` as a long table ``user_id, item_id, score, rank`` (fillers dropped)."""
        users = list(user_ids)  # once: an iterator would be empty the second time
        ids, scores = self.recommend(users, user_items, n, exclude, filter_seen)
        frame = pd.DataFrame(
            {
                USER_COL: np.repeat(np.asarray(users, dtype=object), ids.shape[1]),
                ITEM_COL: ids.ravel(),
                SCORE_COL: scores.ravel(),
                RANK_COL: np.tile(np.arange(1, ids.shape[1] + 1), len(ids)),
            }
        )
        return frame[np.isfinite(frame[SCORE_COL])].reset_index(drop=True)

    def similar_items(self, item_ids: Sequence[Any], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items most similar to each given item (the item itself excluded).

        Parameters
        ----------
        item_ids : sequence
            Items known to the model.
        n : int
            How many neighbours per item.

        Returns
        -------
        ids, scores : numpy.ndarray
            Arrays of shape (len(item_ids), n'), most similar first.
        """
        self._check_fitted()
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        idx = self.item_ids_.get_indexer(list(item_ids))
        if (idx < 0).any():
            unknown = [i for i, k in zip(item_ids, idx, strict=True) if k < 0]
            raise ValueError(f"unknown item id(s): {unknown[:5]}")
        n = min(n, len(self.item_ids_) - 1)
        scores = np.asarray(self._item_scores(idx), dtype=np.float32)
        scores[np.arange(len(idx)), idx] = -np.inf
        top, sc = _top_n(scores, n)
        return self.item_ids_.to_numpy()[top], sc

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        # A one-item history scored by fold-in is a similarity for every model.
        one_hot = sp.csr_matrix(
            (np.ones(len(item_index), np.float32), (np.arange(len(item_index)), item_index)),
            shape=(len(item_index), len(self.item_ids_)),
        )
        return self._score(one_hot, np.full(len(item_index), -1))

    # --- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` (a pickle); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model written by ``save``; raises ``TypeError`` if it is another class."""
        with Path(path).open("rb") as fh:
            model = pickle.load(fh)  # noqa: S301 - our own artefact, written by save()
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    # --- helpers --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.item_ids_ is None:
            raise NotFittedError(type(self).__name__)

    def _history_matrix(self, users: pd.Index, user_items: Any) -> sp.csr_matrix:
        frame = history_frame(user_items)
        if frame is None:  # checked by fit: not scanned again on every call
            frame = self.train_history_
        else:
            check_interactions(frame)
        return to_csr(frame[frame[USER_COL].isin(users)], users, self.item_ids_)

    @staticmethod
    def _mask(scores: np.ndarray, seen: sp.csr_matrix | None, banned: np.ndarray) -> None:
        if seen is not None:  # every stored entry, a weight of 0 included, is a seen item
            rows = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
            scores[rows, seen.indices] = -np.inf
        if len(banned):
            scores[:, banned] = -np.inf


class BinaryItemItem(Recommender):
    """A model whose scores are a user's history, as 0/1, times an item x item ``weights_``
    (fitted by the subclass); any history, a new user's included, is scored directly."""

    weights_: sp.csr_matrix | None = None

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        x = history.copy()
        x.data[:] = 1.0
        return np.asarray((x @ self.weights_).toarray(), dtype=np.float32)


def _unique(user_ids: Iterable[Any]) -> tuple[pd.Index, np.ndarray | None]:
    """The distinct users, and (when some repeat) each given user's row among them."""
    users = pd.Index(list(user_ids))
    if users.is_unique:
        return users, None
    distinct = users.unique()
    return distinct, distinct.get_indexer(users)


def _top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the n best scores per row, best first."""
    if n < scores.shape[1]:
        part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    else:
        part = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)
