"""Train one model, evaluate it on a split, log it to MLflow and run the promotion gate."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from models.benchmark import Candidate, Splitter, default_ranker_grid, select
from models.columns import ITEM_COL, USER_COL
from models.evaluation.metrics import catalog_coverage, ranking_metrics
from models.interactions import timestamps_seconds
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
from models.tracking.fingerprint import fingerprint, split_id
from models.tracking.promotion import PromotionDecision, champion_version, promote_if_better
from models.tracking.runs import FITTED_ON_TAG, TRAIN_END_TAG, TrainingRun, log_training_run

log = logging.getLogger(__name__)

MODELS: dict[str, type[Recommender]] = {
    "ease": EASE,
    "als": ALS,
    "bpr": BPR,
    "itemknn": ItemKNN,
    "rp3beta": RP3beta,
    "sequence": SequenceNeighbours,
    "popularity": TimeDecayedPopularity,
}
#: The learning-to-rank model over the tuned families above (``tuned_ranker``).
RANKER = "ranker"
#: Logged with a tuned ranker: when its settings were chosen (ISO 8601, UTC).
TUNED_AT = "tuned_at"
#: Every model ``train_and_register`` can train by name.
TRAINABLE = (*MODELS, RANKER)
CURVE_KS = (1, 3, 5, 10, 20)
#: The metrics ``evaluate`` returns (all higher-is-better), so the promotion gate can compare them.
GATE_METRICS = ("ndcg@10", "map", "precision@10", "recall@10", "hit_rate@10", "coverage@10")


@dataclass
class TrainOutcome:
    """What ``train_and_register`` did."""

    run_id: str
    version: str
    metrics: dict[str, float]
    decision: PromotionDecision


def evaluate(model: Recommender, train: pd.DataFrame, test: pd.DataFrame) -> tuple[dict, dict]:
    """Metrics at 10 (plus coverage) and metric@k curves, seen items removed."""
    users = test[USER_COL].unique()
    recs = model.recommend_frame(users, user_items=train, n=max(CURVE_KS))
    metrics = ranking_metrics(test, recs, 10)
    metrics["coverage@10"] = catalog_coverage(recs, pd.Index(train[ITEM_COL].unique()), 10)
    curves: dict[str, dict[int, float]] = {"ndcg": {}, "precision": {}, "recall": {}}
    for k in CURVE_KS:
        at_k = ranking_metrics(test, recs, k)
        for name in curves:
            curves[name][k] = at_k[f"{name}@{k}"]
    return metrics, curves


def tuned_ranker(
    train: pd.DataFrame,
    valid_split: Splitter,
    *,
    random_inner_split: bool,
    item_features: pd.DataFrame | None = None,
    user_features: pd.DataFrame | None = None,
    candidates: list[Candidate] | None = None,
    progress: Callable[[str], None] = log.info,
) -> tuple[Recommender, dict[str, Any]]:
    """The ranker, with every family and its own settings chosen on validation.

    Does what ``emporium bench recs`` does before it touches the test split: carves
    (fit, valid) out of ``train`` with ``valid_split``, tunes each family's grid on it, and
    picks the ranker's settings over the tuned sources on the same split.

    Parameters
    ----------
    train : pandas.DataFrame
        Training interactions; the only data looked at.
    valid_split : callable
        Carves (fit, valid) out of ``train``; the ranker splits its own data the same way.
    random_inner_split : bool
        Whether ``valid_split`` is random (each repeat gives a new split, so the ranker
        stacks several) or a time cut (one).
    item_features, user_features : pandas.DataFrame, optional
        As ``CandidateRanker`` takes them (price, category, numeric attributes).
    candidates : list of models.benchmark.Candidate, optional
        The families and grids to tune (default: ``models.benchmark.default_candidates``).
    progress : callable
        Progress messages (one per grid point).

    Returns
    -------
    model : Recommender
        The unfitted ranker.
    params : dict
        Its settings as plain values, one entry per source, for logging.

    Raises
    ------
    models.errors.EmptySplit
        If ``valid_split`` leaves its fit or validation part empty.
    """
    grid = default_ranker_grid(random_inner_split)
    chosen = select(train, valid_split, item_features, user_features, candidates,
                    ranker_grid=grid, log=progress)  # fmt: skip
    described = chosen.ranker_description()
    sources = described.pop("sources")
    params = {"model": RANKER, **described} | {f"source.{n}": p for n, p in sources.items()}
    params[TUNED_AT] = pd.Timestamp.now(tz="UTC").isoformat()
    return chosen.make_ranker(), params


def reusable_ranker(
    name: str, max_age: pd.Timedelta, now: pd.Timestamp | None = None, **changes: Any
) -> tuple[Recommender, dict[str, Any]] | None:
    """The champion ranker's settings, to refit on new data without tuning again, if it is
    a ranker tuned less than ``max_age`` ago (by ``tuned_ranker``); else None.

    Parameters
    ----------
    name : str
        Registered model name (call ``tracking.runs.configure`` first).
    max_age : pandas.Timedelta
        How long tuned settings are trusted.
    now : pandas.Timestamp, optional
        The current time (UTC).
    **changes
        What the new ranker takes instead (``item_features``, ``inner_split``, ...).

    Returns
    -------
    (model, params) or None
        The unfitted ranker and the settings to log: the champion's, with the version they
        came from (``settings_from``) and the time they were tuned (``tuned_at``, unchanged).
    """
    client = MlflowClient()
    version = champion_version(client, name)
    if version is None:
        return None
    logged = _run_data(client, name, version).params
    tuned_at = logged.get(TUNED_AT)
    if logged.get("model") != RANKER or tuned_at is None:
        return None
    if (now or pd.Timestamp.now(tz="UTC")) - pd.Timestamp(tuned_at) >= max_age:
        return None
    champion = mlflow.pyfunc.load_model(f"models:/{name}/{version}").unwrap_python_model().model
    if not isinstance(champion, CandidateRanker):
        return None
    params = {k: v for k, v in logged.items() if k != "model"} | {"settings_from": version}
    return champion.unfitted_copy(**changes), params


def train_and_register(
    model_name: str,
    params: dict[str, Any],
    train: pd.DataFrame,
    test: pd.DataFrame,
    registered_name: str,
    git_commit: str,
    metric: str = "ndcg@10",
    margin: float = 0.0,
    model: Recommender | None = None,
    tags: dict[str, str] | None = None,
    deploy_on: pd.DataFrame | None = None,
) -> TrainOutcome:
    """Fit ``model_name`` on ``train``, evaluate on ``test``, log, register, gate.

    The current champion (if any) is re-scored on the same (train, test) split, so the gate
    compares like with like even when the champion was logged on other data; a champion
    whose model was fitted on part of this test split is refitted on ``train`` first.

    Parameters
    ----------
    model_name : str
        A key of ``MODELS``, or any name when ``model`` is given.
    params : dict
        Constructor arguments (with ``model``: the settings to log).
    train, test : pandas.DataFrame
        The evaluation split.
    registered_name : str
        Registered model name in the MLflow registry (call ``tracking.runs.configure`` first).
    git_commit : str
        The code version to record.
    metric, margin : str, float
        Gate settings.
    model : Recommender, optional
        An unfitted model to train instead of ``MODELS[model_name](**params)`` (e.g. from
        ``tuned_ranker``).
    tags : dict, optional
        More run tags to log (what else the model was fitted with, e.g. item features).
    deploy_on : pandas.DataFrame, optional
        The interactions the registered model is fitted on, once evaluated: every one known,
        so what it serves includes the newest (the test split's). The metrics are those of
        the same settings fitted on ``train``. None: the model fitted on ``train`` is
        registered.
    """
    if model is None:
        if model_name not in MODELS:
            raise ValueError(f"unknown model {model_name!r}; choose from {sorted(MODELS)}")
        model = MODELS[model_name](**params)
    deployed = None if deploy_on is None else copy.deepcopy(model)  # unfitted: the settings
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    metrics, curves = evaluate(model, train, test)
    metrics["train_seconds"] = seconds
    if deployed is not None:
        deployed.fit(deploy_on)
    run = TrainingRun(
        model if deployed is None else deployed,
        {"model": model_name} | params,
        metrics,
        fingerprint(train),
        split_id(train, test),
        git_commit,
        curves,
        metrics["coverage@10"],
        _latest_time(train if deploy_on is None else deploy_on),
        dict(tags or {}) | {FITTED_ON_TAG: "train" if deployed is None else "all"},
    )
    run_id, version = log_training_run(run, registered_name, run_name=model_name)
    champion, how = _rescore_champion(registered_name, version, train, test, metric)
    decision = promote_if_better(
        MlflowClient(), registered_name, version, metric, margin, champion,
        unscored_because=how if champion is None else None,
        rescored_how=how if champion is not None else None,
    )  # fmt: skip
    return TrainOutcome(run_id, version, metrics, decision)


def unchanged_champion(
    name: str,
    model_name: str,
    params: dict[str, Any] | None,
    train: pd.DataFrame,
    test: pd.DataFrame,
    git_commit: str,
    tags: dict[str, str] | None = None,
) -> str | None:
    """The champion's version if training now would only repeat it, else None.

    That is when the champion is ``model_name`` logged by the same commit (a known one) with
    the same ``params`` (None: any, for models whose settings are chosen on the data, such
    as the ranker), on the same training interactions and evaluation split, and with the same
    ``tags`` (what else it was fitted with). A scheduled retrain on unchanged data then
    registers no copy of the champion.

    Parameters
    ----------
    name : str
        Registered model name (call ``tracking.runs.configure`` first).
    model_name, params, train, test, git_commit, tags
        What ``train_and_register`` would be called with.

    Returns
    -------
    str or None
        The champion's version, or None (no champion, or something differs).
    """
    if git_commit == "unknown":  # code of unknown version may have changed
        return None
    client = MlflowClient()
    version = champion_version(client, name)
    if version is None:
        return None
    run = _run_data(client, name, version)
    wanted = {
        "dataset_fingerprint": fingerprint(train),
        "eval_split": split_id(train, test),
        "git_commit": git_commit,
    } | dict(tags or {})
    if any(run.tags.get(key) != value for key, value in wanted.items()):
        return None
    if run.params.get("model") != model_name:
        return None
    if params is not None:
        logged = {k: v for k, v in run.params.items() if k != "model"}
        if logged != {k: str(v)[:500] for k, v in params.items()}:
            return None
    return version


def _run_data(client: MlflowClient, name: str, version: str) -> Any:
    """The params, metrics and tags of the run that logged ``name`` ``version``."""
    return client.get_run(client.get_model_version(name, version).run_id).data


def _latest_time(df: pd.DataFrame) -> float | None:
    """The latest interaction time in ``df`` (unix seconds), or None without times."""
    ts = timestamps_seconds(df)
    return float(np.max(ts)) if ts is not None and len(ts) else None


def _rescore_champion(
    name: str, challenger: str, train: pd.DataFrame, test: pd.DataFrame, metric: str
) -> tuple[float | None, str | None]:
    """The champion's ``metric`` on the challenger's split and how it was measured, or None
    and why not.

    The champion's own model is scored when that is fair: it was fitted on this very
    ``train`` (the same split, and not refitted on more for serving), or on interactions that
    all precede this test split. Otherwise it saw part of this test split and would look
    better than it is, so its settings are refitted on ``train`` and scored. When the
    champion cannot be loaded or fitted on this data, the gate compares logged values only
    if the splits match, and otherwise keeps the champion."""
    client = MlflowClient()
    current = champion_version(client, name)
    if current is None or current == challenger:
        return None, None
    try:
        tags = _run_data(client, name, current).tags
        same_fit = tags.get(FITTED_ON_TAG) != "all" and tags.get("eval_split") == split_id(
            train, test
        )
        saw_test = None if same_fit else _overlap(tags.get(TRAIN_END_TAG), timestamps_seconds(test))
        pyfunc = mlflow.pyfunc.load_model(f"models:/{name}/{current}")
        model = pyfunc.unwrap_python_model().model
        how = None
        if saw_test:
            model = _refitted(model, train)
            how = f"the champion's settings refitted on this split ({saw_test})"
        return float(evaluate(model, train, test)[0][metric]), how
    except Exception as e:  # noqa: BLE001 - any model on any data: the gate must still decide
        log.warning("champion %s v%s cannot score this split: %s", name, current, e)
        return None, f"it cannot score this data ({e})"


def _refitted(model: Recommender, train: pd.DataFrame) -> Recommender:
    """``model``'s settings fitted anew on ``train``."""
    if isinstance(model, CandidateRanker):
        return model.unfitted_copy().fit(train)
    return model.fit(train)


def _overlap(champion_end: str | None, test_times: np.ndarray | None) -> str | None:
    """Why the champion may have trained on this test split, or None if it cannot have."""
    if champion_end is None or test_times is None or not len(test_times):
        return "its model may have been fitted on this test split (no times to compare)"
    end, start = float(champion_end), float(np.min(test_times))
    if end < start:
        return None
    when = [pd.Timestamp(t, unit="s").isoformat() for t in (end, start)]
    return (
        f"its model was fitted on interactions up to {when[0]}, this test split starts at {when[1]}"
    )
