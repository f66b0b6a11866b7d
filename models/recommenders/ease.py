"""EASE (Steck 2019): a closed-form item-item linear model, numpy only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.errors import FitFailed
from models.recommenders.base import Recommender

MAX_ITEMS = 40_000  # the dense item x item inverse is O(items^2) memory


class EASE(Recommender):
    """Embarrassingly Shallow Autoencoder.

    ``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1`` and a zero diagonal; a user's
    scores are ``x_u B``, so any history (new users included) is scored directly.

    Parameters
    ----------
    l2 : float
        L2 regularisation added to the Gram matrix's diagonal.
    binary : bool
        Use 1 for every observed pair instead of the summed weights.
    """

    name = "ease"

    def __init__(self, l2: float = 400.0, binary: bool = True) -> None:
        super().__init__()
        self.l2 = l2
        self.binary = binary
        self.weights_: np.ndarray | None = None

    def _prepare(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        if not self.binary:
            return matrix
        out = matrix.copy()
        out.data[:] = 1.0
        return out

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        if matrix.shape[1] > MAX_ITEMS:
            raise FitFailed(f"EASE needs a dense {matrix.shape[1]}^2 matrix; too many items")
        x = self._prepare(matrix).astype(np.float64)
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += self.l2
        p = np.linalg.inv(gram)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        self.weights_ = b.astype(np.float32)

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        return np.asarray(self._prepare(history) @ self.weights_)
