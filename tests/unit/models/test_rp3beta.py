"""RP3beta's walk probabilities, checked by hand on a three-item graph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.recommenders import RP3beta


def interactions() -> pd.DataFrame:
    # u0: x, y   u1: x, z   u2: x
    rows = [("u0", "x"), ("u0", "y"), ("u1", "x"), ("u1", "z"), ("u2", "x")]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


def test_weights_are_two_step_walks_divided_by_popularity() -> None:
    model = RP3beta(alpha=1.0, beta=0.5, k=0).fit(interactions())
    w = model.weights_.toarray()
    items = list(model.item_ids_)
    x, y, z = (items.index(i) for i in "xyz")
    # From y: P(u0 | y) = 1, then P(x | u0) = 1/2; x has 3 buyers -> / sqrt(3).
    assert w[y, x] == pytest.approx(0.5 / np.sqrt(3))
    # From x: P(u0 | x) = 1/3, P(y | u0) = 1/2; y has 1 buyer.
    assert w[x, y] == pytest.approx(1 / 6)
    assert w[y, z] == 0.0  # no user bought both
    assert np.all(np.diag(w) == 0.0)


def test_beta_zero_is_p3alpha_and_k_prunes_rows() -> None:
    full = RP3beta(alpha=1.0, beta=0.0, k=0).fit(interactions()).weights_.toarray()
    pruned = RP3beta(alpha=1.0, beta=0.0, k=1).fit(interactions()).weights_.toarray()
    assert np.all((pruned > 0).sum(axis=1) <= 1)
    assert np.allclose(pruned.max(axis=1), full.max(axis=1))


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="alpha"):
        RP3beta(alpha=0.0)
