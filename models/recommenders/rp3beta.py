"""RP3beta (Paudel et al. 2016): three-step random walks with a popularity penalty, scipy only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.errors import FitFailed
from models.recommenders.base import BinaryItemItem

MAX_ITEMS = 40_000  # the walk matrix is built dense before pruning: O(items^2) memory


class RP3beta(BinaryItemItem):
    """Item-item graph recommender: user -> item -> user -> item walk probabilities.

    ``W[i, j] = sum_u P(u | i)^alpha · P(j | u)^alpha / popularity(j)^beta``, keeping each
    row's ``k`` largest entries; a user's scores are ``x_u W``, so any history (new users
    included) is scored directly.

    Parameters
    ----------
    alpha : float
        Exponent on the transition probabilities (1 = plain random walk).
    beta : float
        Popularity penalty: 0 is P3alpha, larger values favour less popular items.
    k : int
        Neighbours kept per item (0 keeps all).
    """

    name = "rp3beta"

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k: int = 200) -> None:
        super().__init__()
        if alpha <= 0 or beta < 0 or k < 0:
            raise ValueError("RP3beta needs alpha > 0, beta >= 0 and k >= 0")
        self.alpha, self.beta, self.k = alpha, beta, k

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        if matrix.shape[1] > MAX_ITEMS:
            raise FitFailed(f"RP3beta builds a dense {matrix.shape[1]}^2 matrix; too many items")
        x = matrix.copy().astype(np.float64)
        x.data[:] = 1.0
        user_deg = np.asarray(x.sum(axis=1)).ravel()
        item_deg = np.asarray(x.sum(axis=0)).ravel()
        p_ui = sp.diags(1.0 / np.maximum(user_deg, 1.0)) @ x  # P(item | user)
        p_iu = sp.diags(1.0 / np.maximum(item_deg, 1.0)) @ x.T.tocsr()  # P(user | item)
        if self.alpha != 1.0:
            p_ui = p_ui.power(self.alpha)
            p_iu = p_iu.power(self.alpha)
        walk = (p_iu @ p_ui).toarray()
        walk /= np.power(np.maximum(item_deg, 1.0), self.beta)[None, :]
        np.fill_diagonal(walk, 0.0)
        if self.k and self.k < walk.shape[1]:
            cut = np.argpartition(-walk, self.k - 1, axis=1)[:, : self.k]
            kept = np.zeros_like(walk)
            rows = np.arange(walk.shape[0])[:, None]
            kept[rows, cut] = walk[rows, cut]
            walk = kept
        self.weights_ = sp.csr_matrix(walk.astype(np.float32))
