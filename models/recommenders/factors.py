"""Plain-array matrix-factorisation helpers: fold-in and scoring without any trainer."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def als_fold_in(
    history: sp.csr_matrix,
    item_factors: np.ndarray,
    regularization: float,
    alpha: float = 1.0,
    scale_reg_by_count: bool = False,
) -> np.ndarray:
    """User factors for implicit-feedback ALS, solved from each user's history.

    Solves ``(Y^T C_u Y + reg I) x_u = Y^T C_u p_u`` with ``C_u = 1 + alpha r_u`` (Hu, Koren
    and Volinsky 2008), which is what one ALS user step does; so serving needs only arrays.

    Parameters
    ----------
    history : scipy.sparse.csr_matrix
        (n_users, n_items) interaction weights.
    item_factors : numpy.ndarray
        (n_items, k) item factors.
    regularization : float
        The L2 penalty.
    alpha : float
        Confidence scaling of the weights.
    scale_reg_by_count : bool
        Multiply the penalty by the user's number of items (Spark MLlib's ALS-WR).

    Returns
    -------
    numpy.ndarray
        (n_users, k) user factors; zeros for empty histories.
    """
    y = item_factors.astype(np.float64)
    yty = y.T @ y
    k = y.shape[1]
    out = np.zeros((history.shape[0], k), dtype=np.float32)
    for u in range(history.shape[0]):
        start, end = history.indptr[u], history.indptr[u + 1]
        if start == end:
            continue
        cols, conf = history.indices[start:end], alpha * history.data[start:end]
        yu = y[cols]
        reg = regularization * ((end - start) if scale_reg_by_count else 1.0)
        a = yty + (yu.T * conf) @ yu + reg * np.eye(k)
        out[u] = np.linalg.solve(a, yu.T @ (1.0 + conf))
    return out


def cosine_item_scores(item_factors: np.ndarray, item_index: np.ndarray) -> np.ndarray:
    """Cosine similarity of the given items to every item, from their factors."""
    norms = np.linalg.norm(item_factors, axis=1) + 1e-12
    unit = item_factors / norms[:, None]
    return unit[item_index] @ unit.T
