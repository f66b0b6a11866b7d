"""Sequence neighbours: items that other users took close together in time, scipy only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL, USER_COL
from models.interactions import timestamps_seconds
from models.recommenders.base import BinaryItemItem


class SequenceNeighbours(BinaryItemItem):
    """Item-item co-occurrence within a few steps of each other in users' time-ordered histories.

    Each user's events are ordered by time (by row order without a ``timestamp`` column; equal
    times by item id). Two items ``d`` steps apart (``1 <= d <= window``) add ``1/d`` to their
    pair's count ``C``; ``W = D^-norm C D^-norm`` with ``D`` the items' total counts. A user's
    scores are ``x_u W``, so any history (new users included) is scored directly.

    Unlike whole-history co-occurrence (ItemKNN, EASE), this sees *when*: items a user takes
    in one sitting, or one after the other, are neighbours even if neither is popular.

    Parameters
    ----------
    window : int
        How many steps apart two events may be and still count as neighbours.
    norm : float
        Exponent of the degree normalisation: 0 keeps raw counts (popular items dominate),
        0.5 is cosine-like, 1 strongly favours rare items.
    """

    name = "sequence"

    def __init__(self, window: int = 20, norm: float = 0.5) -> None:
        super().__init__()
        if window < 1 or norm < 0:
            raise ValueError("SequenceNeighbours needs window >= 1 and norm >= 0")
        self.window, self.norm = window, norm

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        users = self.user_ids_.get_indexer(interactions[USER_COL])
        items = self.item_ids_.get_indexer(interactions[ITEM_COL])
        ts = timestamps_seconds(interactions)
        times = np.arange(len(items), dtype=np.float64) if ts is None else ts
        order = np.lexsort((items, times, users))
        users, items = users[order], items[order]
        rows, cols, vals = [], [], []
        for d in range(1, self.window + 1):
            same = users[d:] == users[:-d]
            a, b = items[:-d][same], items[d:][same]
            weight = np.full(len(a), 1.0 / d, np.float32)
            rows += [a, b]
            cols += [b, a]
            vals += [weight, weight]
        n = len(self.item_ids_)
        counts = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), (n, n)
        )
        counts.setdiag(0)  # an item repeated within the window is not its own neighbour
        counts.eliminate_zeros()
        scale = sp.diags(np.power(np.asarray(counts.sum(axis=1)).ravel() + 1.0, -self.norm))
        self.weights_ = sp.csr_matrix((scale @ counts @ scale).astype(np.float32))
