"""The anomaly model ranks an outlandish order far above ordinary ones."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from commerce.adapters.fraud_model import IsolationForestScorer
from commerce.domain.fraud import features


def _history(n: int = 400) -> list[list[float]]:
    rng = random.Random(7)
    return [
        features(Decimal(str(round(rng.uniform(10, 80), 2))), rng.randint(1, 4), rng.randint(8, 21))
        for _ in range(n)
    ]


def test_outlier_scores_high_and_typical_low(tmp_path: Path) -> None:
    scorer = IsolationForestScorer.fit(_history())
    typical = scorer.anomaly(features(Decimal("35"), 2, 14))
    outlier = scorer.anomaly(features(Decimal("9500"), 60, 3))
    assert outlier >= 0.8 and typical <= 0.3
    scorer.save(tmp_path / "fraud.pkl")
    again = IsolationForestScorer.load(tmp_path / "fraud.pkl")
    assert again.anomaly(features(Decimal("9500"), 60, 3)) == outlier


def test_refuses_to_train_on_too_little_history() -> None:
    with pytest.raises(ValueError, match="at least"):
        IsolationForestScorer.fit(_history(10))
