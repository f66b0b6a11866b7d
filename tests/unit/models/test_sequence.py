"""SequenceNeighbours' co-occurrence counts, checked by hand on two short histories."""

from __future__ import annotations

import pandas as pd
import pytest

from models.recommenders import SequenceNeighbours


def interactions() -> pd.DataFrame:
    # In time order, u0: a, b, c and u1: c, a (rows deliberately not in time order).
    rows = [("u0", "c", 3), ("u1", "a", 5), ("u0", "a", 1), ("u1", "c", 1), ("u0", "b", 2)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def weights(model: SequenceNeighbours) -> dict[tuple[str, str], float]:
    w, items = model.weights_.toarray(), list(model.item_ids_)
    return {(i, j): float(w[items.index(i), items.index(j)]) for i in items for j in items}


def test_neighbours_one_step_apart_count_one_and_two_steps_half() -> None:
    w = weights(SequenceNeighbours(window=2, norm=0.0).fit(interactions()))
    assert w["a", "b"] == w["b", "a"] == pytest.approx(1.0)  # u0: a then b
    assert w["b", "c"] == pytest.approx(1.0)  # u0: b then c
    assert w["a", "c"] == pytest.approx(0.5 + 1.0)  # u0: two steps apart; u1: adjacent
    assert all(w[i, i] == 0.0 for i in "abc")


def test_window_limits_the_distance() -> None:
    w = weights(SequenceNeighbours(window=1, norm=0.0).fit(interactions()))
    assert w["a", "c"] == pytest.approx(1.0)  # only u1's adjacent pair


def test_degree_normalisation() -> None:
    w = weights(SequenceNeighbours(window=2, norm=1.0).fit(interactions()))
    # Totals (+1): a 1 + 1.5 + 1 = 3.5, b 1 + 1 + 1 = 3.
    assert w["a", "b"] == pytest.approx(1.0 / (3.5 * 3.0))


def test_without_timestamps_row_order_is_the_sequence() -> None:
    df = pd.DataFrame({"user_id": ["u"] * 3, "item_id": ["x", "y", "z"]})
    w = weights(SequenceNeighbours(window=1, norm=0.0).fit(df))
    assert w["x", "y"] == w["y", "z"] == pytest.approx(1.0)
    assert w["x", "z"] == 0.0


def test_a_repeated_item_is_not_its_own_neighbour() -> None:
    df = pd.DataFrame({"user_id": ["u"] * 3, "item_id": ["x", "x", "y"], "timestamp": [1, 2, 3]})
    w = weights(SequenceNeighbours(window=2, norm=0.0).fit(df))
    assert w["x", "x"] == 0.0
    assert w["x", "y"] == pytest.approx(1.0 + 0.5)


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="window"):
        SequenceNeighbours(window=0)
