"""`emporium models`: Train, list, promote and roll back models."""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import re
from collections.abc import Iterator
from typing import Annotated

import typer

from emporium.champion import DEFAULT_NAME, registry_client
from emporium.settings import REPO_ROOT, Settings, get_settings

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

app = typer.Typer(
    help="Train, list, promote and roll back models.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@contextlib.contextmanager
def _registry_errors() -> Iterator[None]:
    """An unknown model, version or metric in the registry is a message and exit 1."""
    from mlflow.exceptions import MlflowException

    from models.errors import ModelError

    try:
        yield
    except (MlflowException, ModelError) as e:
        message = e.message if isinstance(e, MlflowException) else str(e)
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1) from e


def _check_gate(name: str, metric: str, margin: float) -> None:
    """Refuse an empty model name, a metric the gate cannot compare or a margin that is not a
    number (NaN would reject every challenger), before any work."""
    from models.training import GATE_METRICS

    if not math.isfinite(margin) or margin < 0:
        # A negative margin would promote a challenger worse than the champion.
        raise typer.BadParameter(f"{margin}: must be a number >= 0", param_hint="--margin")
    if not name.strip():
        raise typer.BadParameter("the registered model name is empty", param_hint="--name")
    if metric not in GATE_METRICS:
        raise typer.BadParameter(
            f"{metric!r}: one of {', '.join(GATE_METRICS)}", param_hint="--metric"
        )


def _check_new_name(name: str) -> None:
    """A name ``train`` may register: it goes into ``models:/NAME@alias`` URIs and registry
    filter strings, where '/', '@' or a quote would break them."""
    if not MODEL_NAME.fullmatch(name):
        raise typer.BadParameter(
            f"{name!r}: a registered model name is letters, digits, '.', '_' and '-' "
            "(at most 100, starting with a letter or digit)",
            param_hint="--name",
        )


def _client():
    """The registry client for the configured settings.

    An unreachable tracking server or database store is a message after a few seconds, not
    minutes of retries and a traceback."""
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    from emporium.engines import EngineUnavailable

    settings = get_settings()
    try:
        return registry_client(settings)
    except EngineUnavailable as e:  # a database store that cannot be reached
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    except MlflowException as e:
        typer.echo(f"error: MLflow at {_stores(settings)}: {e.message}", err=True)
        raise typer.Exit(1) from e
    except SQLAlchemyError as e:  # the embedded store: read-only, full, or being created
        first = str(e.orig if getattr(e, "orig", None) else e).splitlines()[0]
        typer.echo(
            f"error: MLflow store {_stores(settings)}: {first} (if another "
            "emporium command is creating it, run again)",
            err=True,
        )
        raise typer.Exit(1) from e


def _stores(settings: Settings) -> str:
    """The tracking URI, and the registry's when it is elsewhere (either may have failed)."""
    tracking, registry = settings.mlflow_tracking_uri, settings.mlflow_registry_uri
    return tracking if registry == tracking else f"{tracking} (registry {registry})"


def _params(pairs: list[str], model_class: type) -> dict:
    """``key=value`` pairs; values parsed as JSON when possible (numbers, true, null).

    Keys must be constructor parameters of ``model_class``, and a parameter whose default is a
    number takes only numbers (``typer.BadParameter`` otherwise)."""
    signature = inspect.signature(model_class.__init__).parameters
    out = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or key not in signature or key == "self":
            known = ", ".join(k for k in signature if k != "self")
            raise typer.BadParameter(
                f"{pair!r}: expected key=value, key one of {known}", param_hint="--param"
            )
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        default = signature[key].default
        numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
        if numeric and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise typer.BadParameter(f"{key} must be a number, got {raw!r}", param_hint="--param")
        out[key] = value
    return out


@app.command("train")
def train(
    dataset: Annotated[
        str, typer.Option(help="online-retail | movielens-100k | interactions:PATH")
    ] = "online-retail",
    protocol: Annotated[str, typer.Option(help="temporal | msr")] = "temporal",
    cut: Annotated[str | None, typer.Option(help="temporal cut")] = None,
    model: Annotated[
        str,
        typer.Option(
            help="ease | als | bpr | itemknn | rp3beta | sequence | popularity | ranker "
            "(the ranker tunes every family and itself on a validation split of train)"
        ),
    ] = "ease",
    param: Annotated[list[str] | None, typer.Option(help="hyperparameter key=value")] = None,
    name: Annotated[str, typer.Option(help="registered model name")] = DEFAULT_NAME,
    metric: Annotated[str, typer.Option(help="gate metric")] = "ndcg@10",
    margin: Annotated[float, typer.Option(help="required improvement over the champion")] = 0.0,
) -> None:
    """Train, evaluate, log to MLflow, register, and run the promotion gate."""
    from emporium.bench.recs import check_protocol, load, load_users, require_parts, splits
    from models.errors import EmptySplit, ModelError
    from models.tracking.fingerprint import git_commit
    from models.training import MODELS, RANKER, TRAINABLE, train_and_register, tuned_ranker

    if model not in TRAINABLE:
        raise typer.BadParameter(f"{model!r}: one of {', '.join(TRAINABLE)}", param_hint="--model")
    check_protocol(protocol, cut)
    if model == RANKER and param:
        raise typer.BadParameter(
            "the ranker takes no --param: its settings and its sources' are chosen on a "
            "validation split of train",
            param_hint="--param",
        )
    params = {} if model == RANKER else _params(param or [], MODELS[model])
    _check_gate(name, metric, margin)
    _check_new_name(name)
    try:
        if model != RANKER:
            MODELS[model](**params)  # constructors check their ranges (e.g. RP3beta alpha > 0)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--param") from e
    _client()
    if dataset.startswith("online-retail") and protocol == "temporal" and cut is None:
        cut = "2011-10-01"
    settings = get_settings()
    df, items = load(dataset, settings.data_dir)
    train_df, test_df, valid_split = splits(df, protocol, cut)
    require_parts(f"the {protocol} split of {dataset}", train=train_df, test=test_df)
    unfitted = None
    if model == RANKER:
        try:
            unfitted, params = tuned_ranker(
                train_df,
                valid_split,
                random_inner_split=protocol == "msr",
                item_features=items,
                user_features=load_users(dataset, settings.data_dir),
                progress=lambda line: None if line.startswith("  ") else typer.echo(line),
            )
        except EmptySplit as e:
            raise typer.BadParameter(
                f"{dataset}: {e}: use more data or another --cut", param_hint="--dataset / --cut"
            ) from e
        except ModelError as e:  # e.g. a family whose fit diverged on this data
            typer.echo(f"error: {dataset}: {e}", err=True)
            raise typer.Exit(1) from e
    with _registry_errors():
        out = train_and_register(
            model, params, train_df, test_df, name, git_commit(REPO_ROOT), metric, margin,
            model=unfitted,
        )  # fmt: skip
    d = out.decision
    typer.echo(
        f"{name} v{out.version} (run {out.run_id}): "
        + ", ".join(f"{k}={v:.4f}" for k, v in out.metrics.items())
    )
    typer.echo(f"gate: {'PROMOTED' if d.promoted else 'rejected'} - {d.reason}")


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every registered model version with its aliases and headline metrics."""
    from models.tracking.promotion import list_models

    with _registry_errors():
        rows = list_models(_client())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(f"{'name':<28}{'version':>8}  {'aliases':<20}{'ndcg@10':>9}{'map':>9}")
    for r in rows:
        ndcg = f"{r['ndcg@10']:.4f}" if r["ndcg@10"] is not None else "-"
        map_ = f"{r['map']:.4f}" if r["map"] is not None else "-"
        typer.echo(f"{r['name']:<28}{r['version']:>8}  {r['aliases']:<20}{ndcg:>9}{map_:>9}")


@app.command("promote")
def promote(
    version: Annotated[str, typer.Argument(help="challenger version")],
    name: Annotated[str, typer.Option(help="registered model name")] = DEFAULT_NAME,
    metric: Annotated[str, typer.Option(help="gate metric")] = "ndcg@10",
    margin: Annotated[float, typer.Option(help="required improvement")] = 0.0,
    force: Annotated[
        bool, typer.Option("--force", help="skip the gate (logged as forced)")
    ] = False,
) -> None:
    """Run the gate for VERSION against the champion's logged figure on the same split
    (--force: make VERSION the champion without it, e.g. when the data changed so much that
    the two cannot be compared)."""
    from models.tracking.promotion import force_promote, promote_if_better

    _check_gate(name, metric, margin)
    with _registry_errors():
        if force:
            d = force_promote(_client(), name, version, metric)
        else:
            d = promote_if_better(_client(), name, version, metric, margin)
    if force and not d.promoted:  # forcing the champion to be champion is no failure
        typer.echo(f"{name}: v{version} is already the champion")
        return
    typer.echo(f"{'PROMOTED' if d.promoted else 'rejected'}: {d.reason}")
    if not d.promoted:
        raise typer.Exit(1)


@app.command("rollback")
def rollback(
    name: Annotated[str, typer.Option(help="registered model name")] = DEFAULT_NAME,
) -> None:
    """Give the champion alias back to the previous champion."""
    from models.tracking.promotion import rollback as do_rollback

    with _registry_errors():  # also NoChampion: nothing to roll back to
        version = do_rollback(_client(), name)
    typer.echo(f"{name}: champion is now v{version}")
