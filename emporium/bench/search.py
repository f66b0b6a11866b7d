"""`emporium bench search`: nDCG@10 against human grades, and query latency, per engine.

Every product of the dataset is indexed (title as ``name``, description); the ``query``
column is never indexed and nothing is derived from the grades. The queries are split in two
by a fixed rule (``search_data.query_half``): the shipped query was tuned on the ``design``
half only, and the figures reported are for the ``heldout`` half. The work is in
``search_run``, imported once the options are checked (it needs pandas and numpy).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emporium import outputs

DEFAULT_OPENSEARCH = "opensearch://127.0.0.1:59200"


def command(
    dataset: Annotated[str, typer.Option(help="Only 'crowdflower' for now.")] = "crowdflower",
    engines: Annotated[
        str, typer.Option(help="Comma-separated: embedded, opensearch.")
    ] = "embedded,opensearch",
    opensearch_url: Annotated[str, typer.Option(help="OpenSearch URL.")] = DEFAULT_OPENSEARCH,
    half: Annotated[str, typer.Option(help="heldout (reported) or design (tuning).")] = "heldout",
    data_dir: Annotated[Path | None, typer.Option(help="Defaults to EMPORIUM_DATA_DIR.")] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the rows as JSON.")
    ] = None,
    semantic: Annotated[
        bool, typer.Option(help="Also run the hybrid query (needs the semantic extra).")
    ] = True,
) -> None:
    """nDCG@10 of plain BM25 and the shipped query against CrowdFlower's human grades."""
    if dataset != "crowdflower":
        raise typer.BadParameter(f"unknown dataset {dataset!r}; use crowdflower")
    if half not in ("heldout", "design"):
        raise typer.BadParameter("half must be heldout or design")
    names = [e.strip() for e in engines.split(",") if e.strip()]
    unknown = sorted(set(names) - {"embedded", "opensearch"})
    if unknown or not names:
        raise typer.BadParameter(
            f"expected embedded and/or opensearch, got {engines!r}",
            param_hint="--engines",
        )
    outputs.check_writable(json_path)
    from emporium.bench import search_run

    search_run.run(names, opensearch_url, half, data_dir, json_path, semantic)
