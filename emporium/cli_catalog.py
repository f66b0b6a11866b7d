"""``emporium catalog load DATASET``."""

from __future__ import annotations

import typer

from commerce.adapters.db import make_engine, make_session_factory, upgrade
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.catalog_loader import load_online_retail_shop
from emporium.settings import get_settings
from models.datasets import DatasetError

app = typer.Typer(help="The catalog: loading a dataset's shop.", no_args_is_help=True)
LOADERS = {"online-retail": load_online_retail_shop}


@app.command("load")
def load(
    dataset: str = typer.Argument(..., help=f"One of: {', '.join(LOADERS)}."),
    limit: int = typer.Option(None, min=1, help="Load only the first N products."),
) -> None:
    """Load a dataset's catalog into the database (migrations are applied first)."""
    loader = LOADERS.get(dataset)
    if loader is None:
        typer.echo(
            f"error: no catalog loader for {dataset!r}; known: {', '.join(LOADERS)}", err=True
        )
        raise typer.Exit(2)
    settings = get_settings()
    settings.state_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        report = loader(settings.data_dir, lambda: SqlAlchemyUnitOfWork(sessions), limit)
    except DatasetError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    finally:
        engine.dispose()
    typer.echo(f"{dataset}: {report}")
