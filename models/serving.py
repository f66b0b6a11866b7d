"""Serving one fitted recommender to a storefront: a user's top n (with their latest items
folded in), items similar to an item, and the most popular items for visitors nobody knows.

Ids arrive as text (URL paths and query strings); they are matched to the model's ids by
their text, so a model trained on integer ids serves ``"42"`` (and ``"42.0"``) as ``42``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL
from models.id_text import IdsByText
from models.interactions import to_csr, weights_of
from models.recommenders.base import Recommender


@dataclass(frozen=True)
class Scored:
    """One recommended item and its score (model units; only the order is meaningful)."""

    item_id: str
    score: float


class UnknownItem(LookupError):
    """The item is not in the model's catalog."""

    code = "unknown_item"


class RecommendationService:
    """What the HTTP layer asks of a recommender.

    Parameters
    ----------
    model : Recommender
        A fitted model (its training history is the users' known history).
    version : str
        The registry version served, reported with every answer.
    """

    def __init__(self, model: Recommender, version: str = "") -> None:
        if model.item_ids_ is None or model.user_ids_ is None:
            raise ValueError("the model is not fitted")
        self.model, self.version = model, version
        self._items, self._users = IdsByText(model.item_ids_), IdsByText(model.user_ids_)
        history = model.train_history_
        # Each known user's history as a row of summed weights, built once: a request then
        # builds no table (it was two thirds of the model's time per request).
        self._matrix = (
            to_csr(history, model.user_ids_, model.item_ids_)
            if history is not None
            else sp.csr_matrix((len(model.user_ids_), len(model.item_ids_)), dtype=np.float32)
        )
        counts: dict[str, float] = {}
        if history is not None and len(history):
            # Summed weights, 1 per row without a weight column (the gold interactions' weights
            # decay with age, so recent buying counts more).
            weights = pd.Series(weights_of(history).astype(np.float64), index=history.index)
            popularity = weights.groupby(history[ITEM_COL]).sum()
            counts = {str(i): float(c) for i, c in popularity.items()}
        self._popular = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def knows_user(self, user_id: str) -> bool:
        """Whether the model was trained on ``user_id``'s history."""
        return self._users.get(user_id) is not None

    def for_user(
        self, user_id: str, items: Sequence[str] = (), n: int = 10, forget: bool = False
    ) -> tuple[list[Scored], bool]:
        """The user's top ``n``, excluding what they already have.

        Parameters
        ----------
        user_id : str
            The user; one the model never saw is served from ``items`` alone.
        items : sequence of str
            Items since training (e.g. this session's views or the cart), folded in. Items the
            model does not know are ignored.
        n : int
            How many items.
        forget : bool
            Serve the user as a visitor, from ``items`` alone: nothing the model learnt of
            them (history, factors, attributes) is used. For an erased account, until the next
            training leaves it out.

        Returns
        -------
        list of Scored, bool
            The items, best first, and whether they are personal (False: the most popular
            items, for a user with no known history).
        """
        user = None if forget else self._users.get(user_id)
        new = [found for found in map(self._items.get, items) if found is not None]
        if user is None and not new:
            return self.popular(n, exclude=items), False
        index = -1 if user is None else int(self.model.user_ids_.get_loc(user))
        history = self._history_of(index, new)
        ids, scores = self.model.recommend_history(history, np.array([index]), n=n)
        return _scored(ids[0], scores[0]), True

    def _history_of(self, index: int, new: list[Any]) -> sp.csr_matrix:
        """The user's training history (row ``index`` of the model's users; -1: none) plus
        ``new`` items, weight 1 each, as one row of summed weights."""
        columns = self.model.item_ids_.get_indexer(new)
        added = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), (np.zeros(len(columns), int), columns)),
            shape=(1, self._matrix.shape[1]),
        )
        if index < 0:
            return added
        row = self._matrix[index] + added
        row.sum_duplicates()
        return row

    def similar(self, item_id: str, n: int = 10) -> list[Scored]:
        """Items most similar to ``item_id``.

        Raises
        ------
        UnknownItem
            If the model's catalog does not have ``item_id``.
        """
        item = self._items.get(item_id)
        if item is None:
            raise UnknownItem(f"item {item_id!r} is not in the model's catalog")
        ids, scores = self.model.similar_items([item], n)
        return _scored(ids[0], scores[0])

    def popular(self, n: int = 10, exclude: Sequence[str] = ()) -> list[Scored]:
        """The items with the most training interactions (their summed weights, if weighted)."""
        banned = set(exclude)
        top = [(i, c) for i, c in self._popular if i not in banned][:n]
        return [Scored(i, c) for i, c in top]


def _scored(ids: np.ndarray, scores: np.ndarray) -> list[Scored]:
    # -inf marks filler positions when fewer items were eligible than asked for.
    return [Scored(str(i), float(s)) for i, s in zip(ids, scores, strict=True) if np.isfinite(s)]
