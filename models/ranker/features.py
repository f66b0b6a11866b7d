"""Features for learning to rank over the union of several recommenders' candidates.

Per (user, candidate item): each source's standardised score, its gap to the user's best
score and its rank; the item's popularity share, mean weight, age and recency; its popularity
around the user's own active period; whether the item existed while the user was active; the
user's history length; the user's affinity to the item's categories; the item's price.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.columns import ITEM_COL, USER_COL
from models.interactions import timestamps_seconds, to_csr, weights_of

DAY = 86_400.0
WINDOWS_DAYS = (7.0, 60.0)
_KEY_SPAN = 1e10  # seconds; item codes are spaced this far apart in the time index


@dataclass
class ItemStats:
    """What the features need from the interactions the sources were trained on."""

    popularity: np.ndarray
    mean_weight: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    t_end: float
    t_min: float
    time_keys: np.ndarray | None  # sorted item_code * span + (t - t_min); None without time
    day_counts: sp.csr_matrix | None = None  # items x days since t_min: interactions per day

    @classmethod
    def from_interactions(cls, df: pd.DataFrame, items: pd.Index) -> ItemStats:
        """Statistics per item of ``items`` (unknown items get zeros / NaN)."""
        codes = items.get_indexer(df[ITEM_COL])
        ok = codes >= 0
        codes, w = codes[ok], weights_of(df)[ok]
        pop = np.bincount(codes, minlength=len(items)).astype(np.float32)
        mean_w = np.bincount(codes, weights=w, minlength=len(items)) / np.maximum(pop, 1)
        ts = timestamps_seconds(df)
        if ts is None:
            nan = np.full(len(items), np.nan)
            return cls(pop, mean_w, nan, nan, np.nan, 0.0, None)
        ts = ts[ok]
        first = pd.Series(ts).groupby(codes).min().reindex(range(len(items))).to_numpy()
        last = pd.Series(ts).groupby(codes).max().reindex(range(len(items))).to_numpy()
        keys = np.sort(codes * _KEY_SPAN + (ts - ts.min()))
        days = ((ts - ts.min()) // DAY).astype(np.int64)
        counts = sp.csr_matrix(
            (np.ones(len(codes), np.float32), (codes, days)), (len(items), int(days.max()) + 1)
        )
        return cls(pop, mean_w, first, last, float(ts.max()), float(ts.min()), keys, counts)

    def user_days(self, history: pd.DataFrame, users: pd.Index) -> sp.csr_matrix | None:
        """Users x days (as in ``day_counts``): 1 where the user has an event that day."""
        ts = timestamps_seconds(history)
        if self.day_counts is None or ts is None:
            return None
        rows = users.get_indexer(history[USER_COL])
        days = ((ts - self.t_min) // DAY).astype(np.int64)
        ok = (rows >= 0) & (days >= 0) & (days < self.day_counts.shape[1])
        matrix = sp.csr_matrix(
            (np.ones(int(ok.sum()), np.float32), (rows[ok], days[ok])),
            (len(users), self.day_counts.shape[1]),
        )
        matrix.data[:] = 1.0  # duplicates were summed
        return matrix

    def window_counts(self, items: np.ndarray, at: np.ndarray, days: float) -> np.ndarray:
        """Interactions of each item within ``days`` of the matching time in ``at``."""
        if self.time_keys is None:
            return np.full(len(items), np.nan)
        rel = at - self.t_min
        lo = items * _KEY_SPAN + np.clip(rel - days * DAY, 0, _KEY_SPAN - 1)
        hi = items * _KEY_SPAN + np.clip(rel + days * DAY, 0, _KEY_SPAN - 1)
        return (
            np.searchsorted(self.time_keys, hi, "right") - np.searchsorted(self.time_keys, lo)
        ).astype(np.float32)


def category_matrix(item_features: pd.DataFrame | None, items: pd.Index) -> sp.csr_matrix | None:
    """Binary (items x categories) from a ``category`` column ("a|b" or "a b" = several)."""
    if item_features is None or "category" not in item_features.columns:
        return None
    cats = item_features.set_index(ITEM_COL)["category"].reindex(items).fillna("").astype(str)
    pairs = [(i, c) for i, text in enumerate(cats) for c in text.replace("|", " ").split() if c]
    if not pairs:
        return None
    rows, names = zip(*pairs, strict=True)
    vocab = pd.Index(sorted(set(names)))
    cols = vocab.get_indexer(list(names))
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), (len(items), len(vocab)))


def user_frame(history: pd.DataFrame, users: pd.Index) -> pd.DataFrame:
    """Per user: history length; median, first and last event time (NaN without times)."""
    h = history[history[USER_COL].isin(users)]
    out = pd.DataFrame(index=users)
    out["hist_len"] = h.groupby(USER_COL)[ITEM_COL].nunique().reindex(users).fillna(0).to_numpy()
    ts = timestamps_seconds(h)
    if ts is None:
        out["t_user"] = out["t_first"] = out["t_last"] = np.nan
        return out
    times = pd.Series(ts, index=h.index).groupby(h[USER_COL])
    for col, how in (("t_user", "median"), ("t_first", "min"), ("t_last", "max")):
        out[col] = times.agg(how).reindex(users).to_numpy()
    return out


def source_features(
    scores: dict[str, np.ndarray], seen: sp.csr_matrix, n_candidates: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Candidate pairs (union of each source's unseen top ``n_candidates``) and their
    per-source score / gap-to-best / rank columns."""
    ranks, masked = {}, {}
    seen_rows, seen_cols = seen.nonzero()
    for name, sc in scores.items():
        m = sc.astype(np.float32, copy=True)
        m[seen_rows, seen_cols] = -np.inf
        masked[name] = m
        ranks[name] = np.argsort(np.argsort(-m, axis=1, kind="stable"), axis=1) + 1
    chosen = np.zeros_like(next(iter(masked.values())), dtype=bool)
    for name in scores:
        chosen |= (ranks[name] <= n_candidates) & np.isfinite(masked[name])
    u, i = np.nonzero(chosen)
    cols: dict[str, np.ndarray] = {}
    for name, m in masked.items():
        # Per-user z-scores: sources are refitted on more data for serving than for training
        # the ranker, so raw score scales shift; standardised scores and ranks do not.
        finite = np.where(np.isfinite(m), m, np.nan)
        with warnings.catch_warnings():  # a user with nothing left to score: NaN, no candidate
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, std = np.nanmean(finite, axis=1), np.nanstd(finite, axis=1) + 1e-9
            best = np.nanmax(finite, axis=1)
        cols[f"{name}_z"] = (m[u, i] - mean[u]) / std[u]
        cols[f"{name}_gap_z"] = (best[u] - m[u, i]) / std[u]
        cols[f"{name}_rank"] = ranks[name][u, i].astype(np.float32)
    return u, i, cols


def pair_features(
    u: np.ndarray,
    i: np.ndarray,
    users: pd.DataFrame,
    stats: ItemStats,
    history_matrix: sp.csr_matrix,
    categories: sp.csr_matrix | None,
    price: np.ndarray | None,
    active_days: sp.csr_matrix | None = None,
    mean_hist_len: float | None = None,
) -> dict[str, np.ndarray]:
    """Item, user and user-item features for candidate pairs (u, i are matrix indices).

    ``active_days`` (users x days, from ``ItemStats.user_days``) adds the share of the item's
    interactions that fell on a day the user was active. ``mean_hist_len`` is what a history
    length is measured against: the mean over the users the sources were fitted on (default:
    over ``users``, which makes a user's features depend on who else is scored with them)."""
    total = max(float(stats.popularity.sum()), 1.0)
    hist_len = users["hist_len"].to_numpy()
    if mean_hist_len is None:
        mean_hist_len = float(hist_len.mean()) if len(hist_len) else 1.0
    cols = {
        "item_pop_share": stats.popularity[i] / total,
        "item_mean_weight": stats.mean_weight[i],
        "item_age_days": (stats.t_end - stats.first_seen[i]) / DAY,
        "item_recency_days": (stats.t_end - stats.last_seen[i]) / DAY,
        "user_hist_len_rel": hist_len[u] / max(mean_hist_len, 1.0),
    }
    t_user = users["t_user"].to_numpy()[u]
    # Availability: an item first seen after the user's last event (or last seen before the
    # user's first) is unlikely to be in that user's history at all.
    cols["item_first_after_user_last_days"] = (
        stats.first_seen[i] - users["t_last"].to_numpy()[u]
    ) / DAY
    cols["user_first_after_item_last_days"] = (
        users["t_first"].to_numpy()[u] - stats.last_seen[i]
    ) / DAY
    for window in WINDOWS_DAYS:
        counts = stats.window_counts(i, t_user, window)
        cols[f"item_share_{int(window)}d_around_user"] = counts / total
    if active_days is not None and stats.day_counts is not None:
        same_day = np.asarray(active_days[u].multiply(stats.day_counts[i]).sum(axis=1)).ravel()
        cols["item_share_on_user_days"] = same_day / np.maximum(stats.popularity[i], 1.0)
    if categories is not None:
        profile = history_matrix.astype(bool).astype(np.float32) @ categories
        profile = sp.diags(1.0 / np.maximum(profile.sum(axis=1).A.ravel(), 1e-9)) @ profile
        per_item = np.maximum(categories.sum(axis=1).A.ravel(), 1.0)
        aff = np.asarray(profile.tocsr()[u].multiply(categories[i]).sum(axis=1)).ravel()
        cols["category_affinity"] = aff / per_item[i]
    if price is not None:
        cols["price"] = price[i]
    return cols


def attribute_columns(
    table: pd.DataFrame | None, key: str, ids: pd.Index, prefix: str, skip: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """The numeric columns of ``table`` (one row per ``key``) for ``ids``; NaN where unknown.

    Text columns are ignored: encode them as numbers (or as ``category`` for items) first.

    Raises
    ------
    ValueError
        If a ``key`` appears on more than one row.
    """
    if table is None:
        return {}
    if table[key].duplicated().any():
        raise ValueError(f"{key} must be unique in the {prefix.rstrip('_')} attributes table")
    rows = table.set_index(key).reindex(ids)
    numeric = [c for c in rows.columns if c not in skip and pd.api.types.is_numeric_dtype(rows[c])]
    return {f"{prefix}{c}": rows[c].to_numpy(dtype=np.float32) for c in numeric}


def history_matrix(history: pd.DataFrame, users: pd.Index, items: pd.Index) -> sp.csr_matrix:
    """The users' histories as a CSR matrix over ``items``."""
    return to_csr(history[history[USER_COL].isin(users)], users, items)
