"""The promotion gate and rollback, on MLflow registry aliases (no stages).

A challenger version takes the ``champion`` alias only if it beats the current champion, on
the same evaluation split, by at least ``margin``. The decision and both numbers are logged to
the challenger's run and its model version. Every promotion is appended to the registered
model's ``champion_history`` tag, which ``rollback`` walks back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.store.entities.paged_list import PagedList

from models.errors import ModelError
from models.tracking.runs import _safe

T = TypeVar("T")

CHAMPION = "champion"
HISTORY_TAG = "champion_history"


class NoChampion(ModelError):
    """Rollback was asked for a model with no earlier champion."""

    code = "no_previous_champion"


@dataclass(frozen=True)
class PromotionDecision:
    """What the gate decided, with the numbers it compared."""

    promoted: bool
    name: str
    challenger_version: str
    champion_version: str | None
    metric: str
    challenger_value: float
    champion_value: float | None
    margin: float
    reason: str
    forced: bool = False  # promoted by an operator, the gate skipped


#: The registry's answers for "no such registered model" and "no such alias".
NOT_FOUND = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})


def champion_version(client: MlflowClient, name: str) -> str | None:
    """The version holding the ``champion`` alias, or ``None`` when the registry says there
    is none (no such model, no such alias).

    Raises
    ------
    MlflowException
        Any other failure, such as a registry that cannot be reached: taken for "no
        champion", it would let a challenger take the alias without being compared.
    """
    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException as e:
        if e.error_code in NOT_FOUND:
            return None
        raise


def version_metric(client: MlflowClient, name: str, version: str, metric: str) -> tuple[float, str]:
    """A version's logged ``metric`` and the evaluation split it was measured on."""
    mv = client.get_model_version(name, version)
    run = client.get_run(mv.run_id)
    value = run.data.metrics.get(_safe(metric))
    if value is None:
        raise ModelError(f"{name} v{version} has no metric {metric!r}")
    return float(value), run.data.tags.get("eval_split", "")


def promote_if_better(
    client: MlflowClient,
    name: str,
    version: str,
    metric: str = "ndcg@10",
    margin: float = 0.0,
    champion_value: float | None = None,
    unscored_because: str | None = None,
    rescored_how: str | None = None,
) -> PromotionDecision:
    """Give ``version`` the champion alias if it beats the champion by ``margin``.

    Parameters
    ----------
    client : mlflow.MlflowClient
        Registry client.
    name, version : str
        The challenger.
    metric : str
        Metric compared (higher is better), as logged.
    margin : float
        Required absolute improvement.
    champion_value : float, optional
        The champion re-evaluated on the challenger's split. Without it the champion's logged
        value is used, and only if it was measured on the same split.
    unscored_because : str, optional
        Why the champion was not re-evaluated (said in the decision if that leaves the gate
        nothing to compare).
    rescored_how : str, optional
        How ``champion_value`` was measured, when not with the champion's own model (said in
        the decision).

    Returns
    -------
    PromotionDecision
    """
    value, split = version_metric(client, name, version, metric)
    current = champion_version(client, name)
    decision = _decide(client, name, version, current, metric, value, split, margin, champion_value)
    if unscored_because and decision.champion_value is None and current not in (None, version):
        why = f"the champion cannot be re-scored on this split: {unscored_because}"
        decision = replace(decision, reason=f"{why}; {decision.reason}")
    if rescored_how and decision.champion_value is not None:
        decision = replace(decision, reason=f"{decision.reason} ({rescored_how})")
    if decision.promoted:
        _set_champion(client, name, version)
    _record(client, decision)
    return decision


def _decide(client, name, version, current, metric, value, split, margin, champion_value):
    if math.isnan(value):  # a NaN champion could never be beaten: it never becomes one
        return PromotionDecision(
            False, name, version, current, metric, value, None, margin,
            f"{metric} is NaN: a challenger needs a number to be compared",
        )  # fmt: skip
    if current is None:
        return PromotionDecision(
            True, name, version, None, metric, value, None, margin, "no champion yet"
        )
    if current == version:
        return PromotionDecision(
            False, name, version, current, metric, value, value, margin, "already champion"
        )
    if champion_value is None:
        logged, champ_split = version_metric(client, name, current, metric)
        if champ_split != split:
            reason = (
                f"champion was evaluated on split {champ_split!r}, challenger on {split!r} "
                "(`emporium models promote VERSION --force` promotes by hand)"
            )
            return PromotionDecision(
                False, name, version, current, metric, value, None, margin, reason
            )
        champion_value = logged
    # A champion whose metric is NaN (logged before NaN was refused) gives way to any number.
    wins = math.isnan(champion_value) or value > champion_value + margin
    verdict = "beats" if wins else "does not beat"
    reason = f"{metric} {value:.4f} {verdict} champion {champion_value:.4f} + margin {margin}"
    return PromotionDecision(
        wins, name, version, current, metric, value, champion_value, margin, reason
    )


def force_promote(
    client: MlflowClient, name: str, version: str, metric: str = "ndcg@10"
) -> PromotionDecision:
    """Give ``version`` the champion alias without the gate (an operator's decision, e.g.
    after the data changed so much that the champion cannot be compared); logged as forced.

    Returns
    -------
    PromotionDecision
        ``promoted`` unless ``version`` already is the champion.
    """
    value, _split = version_metric(client, name, version, metric)
    current = champion_version(client, name)
    if current == version:
        return PromotionDecision(
            False, name, version, current, metric, value, value, 0.0, "already champion"
        )
    reason = f"forced by hand over v{current}: gate skipped" if current else "forced by hand"
    decision = PromotionDecision(
        True, name, version, current, metric, value, None, 0.0, reason, forced=True
    )
    _set_champion(client, name, version)
    _record(client, decision)
    return decision


def _set_champion(client: MlflowClient, name: str, version: str) -> None:
    client.set_registered_model_alias(name, CHAMPION, version)
    history = _history(client, name)
    client.set_registered_model_tag(name, HISTORY_TAG, ",".join([*history, version]))


def _history(client: MlflowClient, name: str) -> list[str]:
    tag = client.get_registered_model(name).tags.get(HISTORY_TAG, "")
    return [v for v in tag.split(",") if v]


def _record(client: MlflowClient, d: PromotionDecision) -> None:
    run_id = client.get_model_version(d.name, d.challenger_version).run_id
    client.log_metric(run_id, "gate_challenger_value", d.challenger_value)
    if d.champion_value is not None:
        client.log_metric(run_id, "gate_champion_value", d.champion_value)
    tags = {
        "gate_decision": "forced" if d.forced else "promoted" if d.promoted else "rejected",
        "gate_reason": d.reason,
        "gate_champion_version": d.champion_version or "",
        "gate_margin": str(d.margin),
    }
    for key, val in tags.items():
        client.set_tag(run_id, key, val)
        client.set_model_version_tag(d.name, d.challenger_version, key, val)


def rollback(client: MlflowClient, name: str) -> str:
    """Give the champion alias back to the previous champion; returns that version."""
    history = _history(client, name)
    if len(history) < 2:
        raise NoChampion(f"{name} has no earlier champion to roll back to")
    previous = history[-2]
    client.set_registered_model_alias(name, CHAMPION, previous)
    client.set_registered_model_tag(name, HISTORY_TAG, ",".join(history[:-1]))
    client.set_model_version_tag(name, history[-1], "rolled_back", "true")
    return previous


def list_models(client: MlflowClient) -> list[dict]:
    """Every registered model version with its aliases and headline metric."""
    rows = []
    aliases: dict[tuple[str, str], list[str]] = {}
    for rm in _every(client.search_registered_models):
        for alias, version in (client.get_registered_model(rm.name).aliases or {}).items():
            aliases.setdefault((rm.name, str(version)), []).append(alias)
    # No filter string: a name with a quote in it would not parse as one.
    for mv in _every(client.search_model_versions):
        run = client.get_run(mv.run_id) if mv.run_id else None
        metrics = run.data.metrics if run else {}
        rows.append(
            {
                "name": mv.name,
                "version": str(mv.version),
                "aliases": ",".join(aliases.get((mv.name, str(mv.version)), [])),
                "ndcg@10": metrics.get("ndcg_at_10"),
                "map": metrics.get("map"),
                "run_id": mv.run_id,
            }
        )
    return sorted(rows, key=lambda r: (r["name"], int(r["version"])))


def _every(search: Callable[..., PagedList[T]]) -> Iterator[T]:
    """Every result of an MLflow search, page after page (one page holds 100 models)."""
    token = None
    while True:
        page = search(page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def load_champion(name: str, version: str | None = None):
    """The champion as an MLflow pyfunc (``models:/name@champion``), or the given ``version``
    (the one a caller just found holding the alias, which may move while it loads)."""
    where = f"/{version}" if version is not None else f"@{CHAMPION}"
    return mlflow.pyfunc.load_model(f"models:/{name}{where}")
