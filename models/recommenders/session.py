"""Item-to-item session recommendations for anonymous visitors.

Co-occurrence within sessions (a ``session_id`` column, else inactivity gaps in each user's
timestamps, else the whole user history) gives an item-item similarity; a visitor is served
from the items of the current session, the latest weighted most when timestamps are given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL, TIME_COL, USER_COL, WEIGHT_COL
from models.interactions import timestamps_seconds, to_csr
from models.recommenders.base import Recommender

SESSION_COL = "session_id"


def sessionize(interactions: pd.DataFrame, gap_minutes: float = 30.0) -> pd.Series:
    """A session key per row: ``session_id`` if present, else user + inactivity gaps.

    Rows whose ``session_id`` is missing are sessionized the second way (blank session ids
    made every anonymous row one giant session).

    Parameters
    ----------
    interactions : pandas.DataFrame
        Interactions, optionally with ``session_id`` or ``timestamp``.
    gap_minutes : float
        A pause longer than this starts a new session.

    Returns
    -------
    pandas.Series
        Session keys aligned with ``interactions``.
    """
    if SESSION_COL not in interactions.columns:
        return _gap_sessions(interactions, gap_minutes)
    given = interactions[SESSION_COL]
    keys = "s:" + given.astype(str)
    missing = given.isna().to_numpy()
    if missing.any():
        keys[missing] = "g:" + _gap_sessions(interactions[missing], gap_minutes)
    return keys


def _gap_sessions(interactions: pd.DataFrame, gap_minutes: float) -> pd.Series:
    users = interactions[USER_COL].astype(str)
    ts = timestamps_seconds(interactions)
    if ts is None:
        return users
    order = np.lexsort((ts, users.to_numpy()))
    t, u = ts[order], users.to_numpy()[order]
    new = np.r_[True, (u[1:] != u[:-1]) | (np.diff(t) > gap_minutes * 60)]
    seq = np.empty(len(order), dtype=np.int64)
    seq[order] = np.cumsum(new)
    return pd.Series(seq.astype(str), index=interactions.index)


class SessionItemToItem(Recommender):
    """Session co-occurrence item-to-item model.

    Parameters
    ----------
    gap_minutes : float
        Inactivity gap that splits sessions when there is no ``session_id``.
    decay : float
        Weight multiplier per step back in the session (1.0: all items equal).
    """

    name = "session_i2i"

    def __init__(self, gap_minutes: float = 30.0, decay: float = 0.7) -> None:
        super().__init__()
        self.gap_minutes, self.decay = gap_minutes, decay
        self.similarity_: sp.csr_matrix | None = None

    def _fit(self, matrix: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        frame = pd.DataFrame(
            {USER_COL: sessionize(interactions, self.gap_minutes), ITEM_COL: interactions[ITEM_COL]}
        )
        sessions = to_csr(frame, pd.Index(frame[USER_COL].unique()), self.item_ids_)
        sessions.data[:] = 1.0
        co = (sessions.T @ sessions).tocsr().astype(np.float32)
        co.setdiag(0)
        co.eliminate_zeros()
        norm = np.sqrt(np.asarray(sessions.sum(axis=0)).ravel()) + 1e-9
        self.similarity_ = sp.diags(1 / norm) @ co @ sp.diags(1 / norm)

    def _history_matrix(self, users: pd.Index, user_items: object) -> sp.csr_matrix:
        frame = user_items if isinstance(user_items, pd.DataFrame) else None
        if frame is None or TIME_COL not in frame.columns:
            return super()._history_matrix(users, user_items)
        # Recency: the k-th most recent item of a session weighs decay**k.
        frame = frame[frame[USER_COL].isin(users)].sort_values(TIME_COL, ascending=False)
        steps = frame.groupby(USER_COL, sort=False).cumcount().to_numpy()
        frame = frame.assign(**{WEIGHT_COL: np.power(self.decay, steps)})
        return to_csr(frame, users, self.item_ids_)

    def _score(self, history: sp.csr_matrix, user_index: np.ndarray) -> np.ndarray:
        return (history @ self.similarity_).toarray()

    def _item_scores(self, item_index: np.ndarray) -> np.ndarray:
        return self.similarity_[item_index].toarray()
