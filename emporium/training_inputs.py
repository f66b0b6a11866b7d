"""What the ``train`` step reads besides its settings: the gold interactions, the catalog as
the ranker's item features, MLflow's configuration, and the champion ranker's settings while
they are recent enough to refit without tuning."""

from __future__ import annotations

import logging
from typing import Any

from emporium.settings import Settings
from emporium.steps import StepError

log = logging.getLogger(__name__)


def gold_interactions(settings: Settings) -> Any:
    """The gold user–item table in the models' column names (``user_id, item_id, …``)."""
    import pandas as pd
    import pyarrow as pa

    from pipelines.jobs.lake import swapped_out

    path = settings.lake_path / "gold" / "interactions"
    if not path.exists() and swapped_out(path).exists():
        log.warning("train: reading %s: a batch stopped while it swapped the table", path.name)
        path = swapped_out(path)  # read only: putting it back is the next batch's to do
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `emporium ingest` and `emporium batch`")
    try:
        frame = pd.read_parquet(path, columns=["user_id", "product_id", "weight", "last_ts"])
    except (pa.ArrowException, ValueError) as e:  # no files, a damaged file, other columns
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise StepError(
            f"the gold interactions at {path} cannot be read ({first}): run `emporium batch` again"
        ) from e
    frame = frame.rename(columns={"product_id": "item_id", "last_ts": "timestamp"})
    return frame.dropna(subset=["user_id", "item_id"])


def catalog_item_features(settings: Settings) -> Any:
    """The catalog's products as the ranker's item features: ``item_id`` (the SKU, as in the
    events), ``price`` and ``category`` (each level of the path: ``home home/kitchen``);
    None for an empty catalog (the ranker then trains on the interactions alone)."""
    import pandas as pd

    from emporium.engines import database_sessions, sqlite_file
    from emporium.search_indexing import catalog_pages

    file = sqlite_file(settings.database_url)
    if file is not None and not file.is_file():  # and leave no empty database file behind
        raise StepError(f"no database at {file}: the ranker reads prices and categories there")
    with database_sessions(settings.database_url) as sessions:
        pages = catalog_pages(sessions, lambda _, products: products, include_archived=True)
        rows = [(p.sku, float(p.price), _category_levels(p.category_path))
                for products in pages for p in products]  # fmt: skip
    if not rows:
        log.warning("the catalog is empty: the ranker trains without prices and categories")
        return None
    return pd.DataFrame(rows, columns=["item_id", "price", "category"])


def _category_levels(path: str) -> str:
    parts = [part.strip().replace(" ", "_") for part in path.split("/") if part.strip()]
    return " ".join("/".join(parts[: depth + 1]) for depth in range(len(parts)))


def configure_mlflow(settings: Settings) -> None:
    """Point MLflow at the settings' tracking server, experiment, artifacts and registry.

    Raises
    ------
    StepError
        Naming the setting, when a store cannot be reached: quickly, where MLflow's own
        client retries for minutes.
    """
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    from commerce.adapters.db import error_line
    from emporium.champion import configure_stores
    from emporium.engines import EngineUnavailable, redact

    try:
        configure_stores(settings)
    except EngineUnavailable as e:
        raise StepError(str(e)) from e
    except (MlflowException, SQLAlchemyError) as e:  # a server, or an embedded store
        problem = e.message if isinstance(e, MlflowException) else error_line(e)
        where = f"EMPORIUM_MLFLOW__TRACKING_URI={redact(settings.mlflow_tracking_uri)}"
        if settings.mlflow.registry_uri:
            where += f" or EMPORIUM_MLFLOW__REGISTRY_URI={redact(settings.mlflow_registry_uri)}"
        raise StepError(f"MLflow at {where}: {problem}") from e


def recent_ranker(
    settings: Settings, name: str, items: Any, inner_split: Any
) -> tuple[Any, dict[str, Any]] | None:
    """The champion ranker's settings, refitted without tuning, while they are younger than
    ``settings.training.retune_days`` (None: tune now)."""
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from models.training import reusable_ranker

    days = settings.training.retune_days
    if not days or not _registry_in_use(settings):
        return None
    try:
        found = reusable_ranker(name, pd.Timedelta(days=days), item_features=items,
                                inner_split=inner_split)  # fmt: skip
    except MlflowException as e:  # an unreadable champion: tune instead
        log.warning("the champion's ranker settings cannot be reused (%s): tuning", e)
        return None
    if found is not None:
        log.info("reusing the ranker settings of v%s, tuned at %s (EMPORIUM_TRAINING__RETUNE_DAYS"
                 "=%s)", found[1]["settings_from"], found[1]["tuned_at"], days)  # fmt: skip
    return found


def champion_to_keep(settings: Settings, name: str, **run: Any) -> str | None:
    """The champion's version when training ``run`` (``unchanged_champion``'s arguments)
    would only repeat it: same model, code, data and settings; else None (train)."""
    from mlflow.exceptions import MlflowException

    from models.training import unchanged_champion

    if not _registry_in_use(settings):
        return None
    try:
        return unchanged_champion(name, **run)
    except MlflowException as e:  # an unreadable champion: train, and let the gate decide
        log.warning("cannot compare with the champion (%s): training", e)
        return None


def _registry_in_use(settings: Settings) -> bool:
    """Point MLflow at the settings' stores and say True, or say False (touching nothing)
    when the registry is an embedded SQLite file not created yet: nothing is registered."""
    from emporium.engines import sqlite_file

    store = sqlite_file(settings.mlflow_registry_uri)
    if store is not None and not store.is_file():
        return False
    configure_mlflow(settings)
    return True
