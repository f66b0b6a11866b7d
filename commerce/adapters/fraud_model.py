"""The anomaly model: an IsolationForest over order history, plus a range check.

An IsolationForest cannot extrapolate: an order far outside everything seen lands in the
same extreme leaves as the history's most unusual members and scores no higher. So the
anomaly is the larger of the forest's score and how far any feature lies outside the
history's 1st-99th percentile band (in band widths).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest

MIN_TRAINING_ORDERS = 50


class IsolationForestScorer:
    """``anomaly(features)`` in 0..1: 0 looks like the history, 1 is far outside it."""

    def __init__(
        self, model: IsolationForest, scores: tuple[float, float], band: np.ndarray
    ) -> None:
        self.model, self.scores, self.band = model, scores, band

    @classmethod
    def fit(cls, rows: Sequence[Sequence[float]], seed: int = 0) -> IsolationForestScorer:
        if len(rows) < MIN_TRAINING_ORDERS:
            raise ValueError(f"need at least {MIN_TRAINING_ORDERS} orders, got {len(rows)}")
        data = np.asarray(rows, dtype=float)
        model = IsolationForest(n_estimators=100, random_state=seed).fit(data)
        scores = -model.score_samples(data)  # higher = more anomalous
        limits = (float(np.percentile(scores, 50)), float(np.percentile(scores, 99)))
        band = np.percentile(data, [1, 99], axis=0)
        return cls(model, limits, band)

    def anomaly(self, row: Sequence[float]) -> float:
        x = np.asarray([row], dtype=float)
        low, high = self.scores
        forest = (float(-self.model.score_samples(x)[0]) - low) / max(high - low, 1e-9)
        width = np.maximum(self.band[1] - self.band[0], 1e-9)
        outside = np.maximum(self.band[0] - x[0], 0) + np.maximum(x[0] - self.band[1], 0)
        beyond = float(np.max(outside / width))
        return float(min(1.0, max(0.0, forest, beyond)))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps((self.model, self.scores, self.band)))

    @classmethod
    def load(cls, path: Path) -> IsolationForestScorer:
        # Only ever loads a file this project wrote into its own state directory.
        model, scores, band = pickle.loads(path.read_bytes())  # noqa: S301
        return cls(model, scores, band)
