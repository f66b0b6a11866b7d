"""Logging a training run to MLflow: params, metrics, fingerprint, commit, plots, model."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient

from models.recommenders.base import Recommender
from models.tracking.pyfunc import SIGNATURE, RecommenderPyfunc

#: Run tag: the latest training interaction's time, unix seconds (absent without times).
TRAIN_END_TAG = "train_end"
#: Run tag: what the registered model was fitted on: ``train`` (the evaluation's training
#: split, the metrics' own model) or ``all`` (every interaction, refitted after evaluation).
FITTED_ON_TAG = "fitted_on"
PIP_REQUIREMENTS = ["mlflow", "numpy", "pandas", "scipy", "scikit-learn", "implicit"]


@dataclass
class TrainingRun:
    """Everything one training run logs.

    Attributes
    ----------
    model : Recommender
        The fitted model.
    params : dict
        Hyperparameters (and any choices) to log.
    metrics : dict
        Evaluation figures on the split ``split_id``.
    dataset_fingerprint, split_id, git_commit : str
        Provenance: what data, which evaluation split, which code.
    curves : dict
        ``{"ndcg": {1: .., 5: .., 10: ..}, ...}`` metric@k curves to plot.
    coverage : float, optional
        Catalog coverage of the top-k lists.
    train_end : float, optional
        The latest interaction time in the training data (unix seconds), so a later gate
        can tell whether this model has seen another split's test interactions.
    tags : dict, optional
        More run tags, e.g. the fingerprint of the item features a ranker was fitted with.
    """

    model: Recommender
    params: dict[str, Any]
    metrics: dict[str, float]
    dataset_fingerprint: str
    split_id: str
    git_commit: str
    curves: dict[str, dict[int, float]] = field(default_factory=dict)
    coverage: float | None = None
    train_end: float | None = None
    tags: dict[str, str] = field(default_factory=dict)


def configure(
    tracking_uri: str,
    experiment: str,
    artifact_root: str | Path | None = None,
    registry_uri: str | None = None,
) -> str:
    """Point MLflow at ``tracking_uri`` (and its registry at ``registry_uri``) and make
    ``experiment`` current; returns its id.

    Parameters
    ----------
    tracking_uri : str
        ``sqlite:///path/mlflow.db`` (embedded) or ``http://host:port`` (server).
    experiment : str
        Experiment name, created if missing.
    artifact_root : str or Path, optional
        Where a new experiment stores artifacts (local backends; a server picks its own).
    registry_uri : str, optional
        Where models are registered and their aliases kept, when not in the tracking store
        (a database such as ``sqlite:///path/registry.db``: its versions point at the files
        of runs in the tracking store).
    """
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri or tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        exp_id = found.experiment_id
    else:
        location = Path(artifact_root).resolve().as_uri() if artifact_root else None
        exp_id = mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def log_training_run(
    run: TrainingRun, registered_name: str, run_name: str | None = None
) -> tuple[str, str]:
    """Log ``run`` and register its model under ``registered_name``.

    Returns
    -------
    run_id, version : str
        The MLflow run id and the new model version.
    """
    with (
        mlflow.start_run(run_name=run_name or run.model.name) as active,
        tempfile.TemporaryDirectory() as tmp,
    ):
        mlflow.log_params({k: str(v)[:500] for k, v in run.params.items()})
        mlflow.log_metrics({_safe(k): float(v) for k, v in run.metrics.items()})
        mlflow.set_tags(
            {
                "dataset_fingerprint": run.dataset_fingerprint,
                "eval_split": run.split_id,
                "git_commit": run.git_commit,
                "model_class": type(run.model).__name__,
            }
            | ({} if run.train_end is None else {TRAIN_END_TAG: repr(run.train_end)})
            | run.tags
        )
        _log_plots(run)
        path = run.model.save(Path(tmp) / "model.pkl")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=RecommenderPyfunc(),
            artifacts={"model": str(path)},
            signature=SIGNATURE,
            registered_model_name=registered_name,
            # Explicit requirements: inferring them re-imports the model in a subprocess.
            pip_requirements=PIP_REQUIREMENTS,
        )
    version = str(info.registered_model_version)
    MlflowClient().set_model_version_tag(registered_name, version, "eval_split", run.split_id)
    return active.info.run_id, version


def _log_plots(run: TrainingRun) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if run.curves:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name, points in run.curves.items():
            ks = sorted(points)
            ax.plot(ks, [points[k] for k in ks], marker="o", label=name)
        ax.set_xlabel("k")
        ax.set_title("metric@k")
        ax.legend()
        mlflow.log_figure(fig, "plots/metric_at_k.png")
        plt.close(fig)
    if run.coverage is not None:
        fig, ax = plt.subplots(figsize=(3.5, 3.5))
        ax.bar(["covered", "not covered"], [run.coverage, 1 - run.coverage])
        ax.set_title("catalog coverage")
        mlflow.log_figure(fig, "plots/coverage.png")
        plt.close(fig)


def _safe(metric: str) -> str:
    """MLflow metric names allow no '@'."""
    return metric.replace("@", "_at_")
