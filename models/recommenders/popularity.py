"""Time-decayed popularity: the floor every other model must beat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL
from models.interactions import timestamps_seconds, weights_of
from models.recommenders.base import Recommender

DAY = 86_400.0


class TimeDecayedPopularity(Recommender):
    """Items ranked by interaction weight, each event decayed by its age.

    Parameters
    ----------
    half_life_days : float or None
        An event ``half_life_days`` older than the newest one counts half. ``None`` (or no
        timestamp column) gives plain popularity.
    """

    name = "popularity"
    personalized = False

    def __init__(self, half_life_days: float | None = None) -> None:
        super().__init__()
        if half_life_days is not None and not half_life_days > 0:  # 0 gave NaN, < 0 inverted
            raise ValueError(f"half_life_days must be > 0 or None, got {half_life_days}")
        self.half_life_days = half_life_days
        self.popularity_: np.ndarray | None = None

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        weights = weights_of(interactions).astype(np.float64)
        ts = timestamps_seconds(interactions)
        if self.half_life_days is not None and ts is not None:
            age_days = (ts.max() - ts) / DAY
            weights = weights * np.power(0.5, age_days / self.half_life_days)
        codes = self.item_ids_.get_indexer(interactions[ITEM_COL])
        self.popularity_ = np.bincount(codes, weights=weights, minlength=len(self.item_ids_))

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity_.astype(np.float32), (history.shape[0], 1))

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        return self._score(sp.csr_matrix((len(item_index), len(self.item_ids_))), item_index)
