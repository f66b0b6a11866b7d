"""`emporium bench recs`: tune on validation carved from train, report test once.

``--protocol msr`` reproduces Microsoft Recommenders' MovieLens benchmark protocol
(stratified by item 75/25, seed 42, top 10, seen items removed, their metric definitions);
``--protocol temporal`` cuts by time (``--cut``; Online Retail default 2011-10-01).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emporium import outputs
from emporium.settings import get_settings

if TYPE_CHECKING:
    import pandas as pd

    from models.benchmark import Result

# Microsoft Recommenders' MovieLens-100K table (examples/06_benchmarks/movielens.ipynb,
# commit b02c95e2), as quoted in the issue: nDCG@10 and MAP where given.
PUBLISHED_ML100K = {
    "BiVAE": (0.475, 0.146),
    "BPR": (0.442, None),
    "LightGCN": (0.420, None),
    "SAR": (0.382, None),
    "popularity": (0.25, None),
}


def load(dataset: str, data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Interactions and optional item features for ``dataset``.

    A missing or unreadable dataset, or one without a single interaction, is a
    ``typer.BadParameter`` naming the file (the CLI prints it and exits with 2).
    """
    from models.datasets import DatasetError

    try:
        interactions, items = _load(dataset, data_dir)
    except DatasetError as e:
        raise typer.BadParameter(str(e), param_hint="--dataset") from e
    if interactions.empty:
        raise typer.BadParameter(f"{dataset} has no interactions", param_hint="--dataset")
    return interactions, items


def _load(dataset: str, data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if dataset == "movielens-100k":
        from models.datasets.movielens import load_movielens_100k, load_movielens_100k_items

        items = load_movielens_100k_items(data_dir).rename(columns={"genres": "category"})
        items["release_year"] = items["release_date"].dt.year
        ratings = load_movielens_100k(data_dir)
        features = items[["item_id", "category", "release_year"]]
        return ratings[["user_id", "item_id", "timestamp"]], features
    if dataset in ("online-retail", "online-retail-ii"):
        from models.datasets.retail import online_retail_interactions

        interactions, items = online_retail_interactions(data_dir, dataset)
        return interactions, items[["item_id", "price"]]
    if dataset.startswith("interactions:"):
        from models.datasets.interactions_file import load_interactions

        return load_interactions(dataset.split(":", 1)[1]), None
    raise typer.BadParameter(
        f"unknown dataset {dataset!r}: movielens-100k, online-retail or interactions:PATH"
    )


def load_users(dataset: str, data_dir: Path) -> pd.DataFrame | None:
    """Numeric user attributes for the ranker, where the dataset has any."""
    if dataset != "movielens-100k":
        return None
    from models.datasets.movielens import load_movielens_100k_users

    users = load_movielens_100k_users(data_dir)
    return users.assign(
        female=(users["gender"] == "F").astype("int8"),
        occupation=users["occupation"].astype("category").cat.codes,
    )[["user_id", "age", "female", "occupation"]]


def check_protocol(protocol: str, cut: str | None) -> None:
    """Refuse an unknown protocol, and a ``--cut`` the msr protocol would silently ignore."""
    if protocol not in ("msr", "temporal"):
        raise typer.BadParameter("protocol must be msr or temporal", param_hint="--protocol")
    if protocol == "msr" and cut is not None:
        raise typer.BadParameter(
            "--cut is for --protocol temporal; msr splits each item's interactions 75/25 (seed 42)",
            param_hint="--cut",
        )


def splits(df: pd.DataFrame, protocol: str, cut: str | None):
    """(train, test, validation splitter) for the protocol."""
    from models import protocols

    check_protocol(protocol, cut)
    if protocol == "msr":
        train, test = protocols.msr_split(df)
        return train, test, protocols.msr_valid_split
    if "timestamp" not in df.columns:
        raise typer.BadParameter("--protocol temporal needs a timestamp column")
    when = _cut(cut, df["timestamp"])
    train, test = protocols.temporal_protocol(when)(df)
    return train, test, protocols.temporal_valid_split(protocols.time_share(df, when) or 0.2)


def require_parts(what: str, **parts: pd.DataFrame) -> None:
    """Refuse (``typer.BadParameter``) a split that leaves one of its parts empty."""
    for part, rows in parts.items():
        if rows.empty:
            raise typer.BadParameter(
                f"{what} leaves the {part} part empty: use more data or another --cut",
                param_hint="--dataset / --cut",
            )


def _cut(cut: str | None, ts: pd.Series) -> Any:
    """The time cut in the timestamps' own type: a date, or a number for numeric times (a
    date given for numeric times is read as unix seconds). Default: the 80% quantile."""
    import pandas as pd

    numeric = not pd.api.types.is_datetime64_any_dtype(ts)
    if cut is None:
        return float(ts.quantile(0.8)) if numeric else ts.quantile(0.8)
    try:
        if not numeric:  # the data's times are naive UTC (models.datasets.interactions_file)
            when = pd.Timestamp(cut)
            return when if when.tzinfo is None else when.tz_convert("UTC").tz_localize(None)
        try:
            return float(cut)
        except ValueError:
            return float(pd.Timestamp(cut).timestamp())
    except (ValueError, TypeError) as e:
        raise typer.BadParameter(
            f"{cut!r} is neither a date nor a number", param_hint="--cut"
        ) from e


def table(results: list[Result]) -> str:
    """The results as a fixed-width text table with the chosen hyperparameters."""
    head = f"{'model':<11}{'nDCG@10':>9}{'MAP':>9}{'P@10':>9}{'R@10':>9}{'train s':>9}"
    lines = [head + "  valid nDCG  chosen on validation"]
    for r in results:
        m = r.metrics
        lines.append(
            f"{r.model:<11}{m['ndcg@10']:>9.4f}{m['map']:>9.4f}{m['precision@10']:>9.4f}"
            f"{m['recall@10']:>9.4f}{r.train_seconds:>9.1f}  {r.valid_ndcg:>10.4f}  {r.params}"
        )
    return "\n".join(lines)


def command(
    dataset: Annotated[
        str, typer.Option(help="movielens-100k | online-retail | interactions:PATH")
    ] = "movielens-100k",
    protocol: Annotated[str, typer.Option(help="msr | temporal")] = "msr",
    cut: Annotated[str | None, typer.Option(help="temporal cut (default: 80% quantile)")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="write results as JSON")] = None,
    verbose: Annotated[bool, typer.Option(help="print every validation score")] = False,
) -> None:
    """Benchmark every recommender and the ranker; hyperparameters chosen on validation."""
    from models.benchmark import default_ranker_grid, run_benchmark
    from models.errors import EmptySplit, ModelError

    outputs.check_writable(json_path)
    check_protocol(protocol, cut)
    if dataset.startswith("online-retail") and protocol == "temporal" and cut is None:
        cut = "2011-10-01"
    df, items = load(dataset, get_settings().data_dir)
    train, test, valid_split = splits(df, protocol, cut)
    require_parts(
        f"the {protocol} split of {dataset} ({len(df)} interactions)", train=train, test=test
    )
    typer.echo(
        f"{dataset} / {protocol}: train {len(train)} rows, test {len(test)} rows, "
        f"{test['user_id'].nunique()} test users"
    )
    log = typer.echo if verbose else (lambda msg: None if msg.startswith("  ") else typer.echo(msg))
    try:
        results = run_benchmark(
            train,
            test,
            valid_split,
            item_features=items,
            user_features=load_users(dataset, get_settings().data_dir),
            ranker_grid=default_ranker_grid(random_inner_split=protocol == "msr"),
            log=log,
        )
    except EmptySplit as e:
        raise typer.BadParameter(
            f"{dataset} ({len(df)} interactions): {e}: use more data or another --cut",
            param_hint="--dataset / --cut",
        ) from e
    except ModelError as e:  # e.g. a fit that diverged on this data
        typer.echo(f"error: {dataset}: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(table(results))
    ranker = results[-1]
    typer.echo(
        f"ranker sources: {', '.join(ranker.extra['sources'])}; "
        f"fused with: {ranker.extra['anchor']} (weight {ranker.params.get('anchor_weight', 0)})"
    )
    best = max(results, key=lambda r: r.valid_ndcg)
    typer.echo(
        f"selected on validation: {best.model} (valid nDCG@10 {best.valid_ndcg:.4f}) -> test "
        f"nDCG@10 {best.metrics['ndcg@10']:.4f}, MAP {best.metrics['map']:.4f}"
    )
    if dataset == "movielens-100k" and protocol == "msr":
        typer.echo(
            "published (Microsoft Recommenders, same protocol): "
            + ", ".join(
                f"{k} {v[0]:.3f}" + (f"/{v[1]:.3f}" if v[1] else "")
                for k, v in PUBLISHED_ML100K.items()
            )
        )
    if json_path:
        outputs.write_text(json_path, json.dumps([r.row() for r in results], indent=2))
        typer.echo(f"wrote {json_path}")
