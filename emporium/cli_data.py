"""``emporium data list | fetch``: the datasets in the data directory."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from emporium.settings import get_settings

app = typer.Typer(
    help="Datasets: what is in the data directory, and fetching them.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command("list")
def list_datasets(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip sha256 checks."),
) -> None:
    """Show each known dataset: present, valid (sha256 from PROVENANCE.md), official source."""
    from models.datasets import DATASETS, dataset_status  # with the loaders: pandas

    data_dir = get_settings().data_dir
    rows = [dataset_status(d, data_dir, verify=not no_verify) for d in DATASETS.values()]
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    typer.echo(f"data directory: {Path(data_dir).resolve()}")
    typer.echo(f"{'dataset':<24}{'present':<9}{'valid':<8}source")
    for r in rows:
        valid = "-" if r.valid is None else ("yes" if r.valid else "NO")
        typer.echo(f"{r.name:<24}{'yes' if r.present else 'no':<9}{valid:<8}{r.source}")
        for problem in r.problems:
            typer.echo(f"    {problem}")


@app.command("fetch")
def fetch(
    name: str = typer.Argument(..., help="Dataset name, as in `emporium data list`."),
    url: str = typer.Option(None, "--url", help="Download from this URL (a mirror)."),
    timeout: float = typer.Option(60.0, min=0.1, help="Network time-out in seconds."),
) -> None:
    """Download a dataset from its official source into the data directory."""
    from models.datasets import DatasetError, get_dataset
    from models.datasets.fetch import fetch_dataset

    try:
        dataset = get_dataset(name)
        target = fetch_dataset(dataset, get_settings().data_dir, url=url, timeout_s=timeout)
    except DatasetError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(f"{name}: saved in {target}")
