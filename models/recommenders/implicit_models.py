"""ItemKNN, ALS and BPR from benfred/implicit behind the emporium interface."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.errors import FitFailed
from models.recommenders.base import Recommender
from models.recommenders.factors import cosine_item_scores

# implicit warns (and slows down) when OpenBLAS runs its own thread pool.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

SIMILARITIES = ("cosine", "bm25", "tfidf")


@contextmanager
def _diverged(model: str, hint: str) -> Iterator[None]:
    """implicit's NaN check (``ModelFitError``) as the models' own ``FitFailed``."""
    from implicit.recommender_base import ModelFitError

    try:
        yield
    except ModelFitError as e:
        raise FitFailed(f"{model} diverged ({e}): {hint}") from e


class ItemKNN(Recommender):
    """Item-item nearest neighbours (implicit's cosine, BM25 or TF-IDF weighting).

    Parameters
    ----------
    similarity : {"cosine", "bm25", "tfidf"}
        How item vectors are weighted before the dot product.
    k : int
        Neighbours kept per item.
    k1, b : float
        BM25 parameters (``similarity="bm25"`` only).
    """

    name = "itemknn"

    def __init__(self, similarity: str = "cosine", k: int = 100, k1: float = 1.2, b: float = 0.75):
        super().__init__()
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
        self.similarity, self.k, self.k1, self.b = similarity, k, k1, b
        self.matrix_: sp.csr_matrix | None = None

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        from implicit import nearest_neighbours as nn

        if self.similarity == "bm25":
            model = nn.BM25Recommender(K=self.k, K1=self.k1, B=self.b, num_threads=0)
        elif self.similarity == "tfidf":
            model = nn.TFIDFRecommender(K=self.k, num_threads=0)
        else:
            model = nn.CosineRecommender(K=self.k, num_threads=0)
        with warnings.catch_warnings():
            # implicit converts its own intermediate COO to CSR and warns about it.
            warnings.simplefilter("ignore")
            model.fit(matrix, show_progress=False)
        self.matrix_ = model.similarity.tocsr().astype(np.float32)

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        return (history @ self.matrix_).toarray()

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        return self.matrix_[item_index].toarray()


class ALS(Recommender):
    """Implicit-feedback ALS (implicit's CPU solver); users are always folded in.

    Parameters
    ----------
    factors, regularization, alpha, iterations : model hyperparameters.
    seed : int
        Random seed of the factor initialisation.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 42,
    ) -> None:
        super().__init__()
        self.factors, self.regularization, self.alpha = factors, regularization, alpha
        self.iterations, self.seed = iterations, seed
        self.model_ = None

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        self.model_ = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=0,
        )
        with _diverged("ALS", "are some weights huge, or the regularisation tiny?"):
            self.model_.fit(matrix, show_progress=False)

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        # implicit's recalculate_user is the fold-in: one ALS user step on the given rows.
        users = self.model_.recalculate_user(np.arange(history.shape[0]), history.tocsr())
        return np.asarray(users) @ self.model_.item_factors.T

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        return cosine_item_scores(self.model_.item_factors, item_index)


class BPR(Recommender):
    """Bayesian Personalised Ranking (implicit's CPU solver).

    Known users without new events use their trained factors; new users, and users whose
    history has items beyond training, are folded in as the mean of their items' factors
    (BPR has no closed-form user update).

    Parameters
    ----------
    factors, learning_rate, regularization, iterations : model hyperparameters.
    seed : int
        Random seed.
    num_threads : int
        SGD threads (0 = every core). Parallel SGD updates race, so only ``num_threads=1``
        gives the same model for the same seed.
    """

    name = "bpr"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        seed: int = 42,
        num_threads: int = 0,
    ) -> None:
        super().__init__()
        self.factors, self.learning_rate = factors, learning_rate
        self.regularization, self.iterations, self.seed = regularization, iterations, seed
        self.num_threads = num_threads
        self.user_factors_: np.ndarray | None = None
        self.item_factors_: np.ndarray | None = None
        self.train_matrix_: sp.csr_matrix | None = None

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        model = BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=self.num_threads,
        )
        with _diverged("BPR", "lower the learning rate"):
            model.fit(matrix, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors)
        self.item_factors_ = np.asarray(model.item_factors)
        self.train_matrix_ = (matrix > 0).astype(np.int8).tocsr()

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        users = self._fold_in(history)
        known = user_index >= 0
        trained = self.train_matrix_[np.where(known, user_index, 0)]
        # A known user keeps its trained factors unless its history has items beyond training.
        new_items = np.asarray(((history > 0).astype(np.int8) - trained > 0).sum(axis=1)).ravel()
        keep = known & (new_items == 0)
        users[keep] = self.user_factors_[user_index[keep]]
        return users @ self.item_factors_.T

    def _fold_in(self, history: sp.csr_matrix) -> np.ndarray:
        """Users as the weighted mean of their items' factors (bias column fixed at 1)."""
        rows = sp.diags(1.0 / np.maximum(np.asarray(history.sum(axis=1)).ravel(), 1e-9))
        users = np.asarray((rows @ history) @ self.item_factors_[:, :-1], dtype=np.float32)
        # implicit's BPR keeps the item bias in the last factor, the user side fixed at 1.
        return np.hstack([users, np.ones((len(users), 1), np.float32)])

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        return cosine_item_scores(self.item_factors_[:, :-1], item_index)
