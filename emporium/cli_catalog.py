"""``emporium catalog load DATASET``."""

from __future__ import annotations

import typer

from emporium.cli_db import migrate
from emporium.settings import get_settings

app = typer.Typer(
    help="The catalog: loading a dataset's shop.", no_args_is_help=True, rich_markup_mode="markdown"
)
# Dataset -> loader function in emporium.catalog_loader (imported on use: it needs pandas).
LOADERS = {"online-retail": "load_online_retail_shop"}


@app.command("load")
def load(
    dataset: str = typer.Argument(..., help=f"One of: {', '.join(LOADERS)}."),
    limit: int = typer.Option(None, min=1, help="Load only the first N products."),
) -> None:
    """Load a dataset's catalog into the database (migrations are applied first)."""
    from commerce.domain.errors import CommerceError
    from emporium import catalog_loader
    from emporium.engines import unit_of_work_factory
    from models.datasets import DatasetError, get_dataset

    if dataset not in LOADERS:
        typer.echo(
            f"error: no catalog loader for {dataset!r}; known: {', '.join(LOADERS)}", err=True
        )
        raise typer.Exit(2)
    loader = getattr(catalog_loader, LOADERS[dataset])
    settings = get_settings()
    try:
        # The dataset is looked for before the database is touched.
        get_dataset(dataset).path(settings.data_dir)
        migrate(settings)
        with unit_of_work_factory(settings.database_url) as uow_factory:
            report = loader(settings.data_dir, uow_factory, limit)
    except DatasetError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    except (CommerceError, ValueError, TypeError) as e:  # a value the shop cannot take
        typer.echo(f"error: {dataset} has a row the shop cannot load: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"{dataset}: {report}")
