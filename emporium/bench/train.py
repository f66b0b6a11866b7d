"""`emporium bench train`: implicit ALS vs Spark MLlib ALS, seconds per iteration.

Both train with the same factors, regularisation, alpha and iterations on the same
interactions in one run. Each is timed at two iteration counts and the per-iteration cost is
the difference divided by the extra iterations, so fixed costs (Spark job planning, data
caching, JIT) do not count as iteration time; the plain total / iterations is printed too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from emporium import outputs
from emporium.settings import get_settings


def _implicit_seconds(train, factors: int, reg: float, iterations: int) -> float:
    from models.recommenders import ALS

    start = time.perf_counter()
    ALS(factors=factors, regularization=reg, iterations=iterations).fit(train)
    return time.perf_counter() - start


def _spark_seconds(
    train, factors: int, reg: float, iterations: int, master: str, memory: str
) -> float:
    from models.recommenders import SparkALS

    model = SparkALS(factors, reg, iterations=iterations, master=master, driver_memory=memory)
    return model.fit(train).train_seconds_


def _per_iteration(timer, low: int, high: int) -> tuple[float, float]:
    """(marginal seconds per iteration, total/iterations at ``high``)."""
    timer(low)  # warm-up: JVM start, numba/OpenMP pools, caches
    t_low, t_high = timer(low), timer(high)
    return max(t_high - t_low, 0.0) / (high - low), t_high / high


def command(
    dataset: Annotated[
        str, typer.Option(help="movielens-100k | online-retail | interactions:PATH")
    ] = "movielens-100k",
    factors: Annotated[int, typer.Option(min=1, help="latent factors (Spark rank)")] = 64,
    regularization: Annotated[float, typer.Option(min=0.0, help="L2 penalty")] = 0.05,
    # The per-iteration figure is a difference of two runs, so at least 2 iterations.
    iterations: Annotated[int, typer.Option(min=2, help="iterations of the timed run")] = 15,
    master: Annotated[str | None, typer.Option(help="Spark master (default from settings)")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="write results as JSON")] = None,
) -> None:
    """Seconds per iteration of implicit ALS and Spark MLlib ALS on the same interactions."""
    from emporium.bench.recs import load
    from emporium.services.spark import BLAS_PACKAGES, NATIVE_BLAS, native_blas

    outputs.check_writable(json_path)
    settings = get_settings()
    train, _ = load(dataset, settings.data_dir)
    master = master or settings.spark.master
    low = max(iterations // 3, 1)
    imp, imp_total = _per_iteration(
        lambda n: _implicit_seconds(train, factors, regularization, n), low, iterations
    )
    spark, spark_total = _per_iteration(
        lambda n: _spark_seconds(
            train, factors, regularization, n, master, settings.spark.driver_memory
        ),
        low,
        iterations,
    )
    result = {
        "dataset": dataset,
        "rows": len(train),
        "factors": factors,
        "regularization": regularization,
        "iterations": iterations,
        "spark_master": master,
        "implicit_s_per_iter": imp,
        "spark_s_per_iter": spark,
        "implicit_total_s_per_iter": imp_total,
        "spark_total_s_per_iter": spark_total,
        "ratio": spark / imp if imp > 0 else None,
        "spark_native_blas": native_blas(),
    }
    typer.echo(f"{'engine':<10}{'s/iter (marginal)':>20}{'s/iter (total)':>17}")
    typer.echo(f"{'implicit':<10}{imp:>20.4f}{imp_total:>17.4f}")
    typer.echo(f"{'spark':<10}{spark:>20.4f}{spark_total:>17.4f}")
    if result["ratio"]:
        typer.echo(
            f"Spark / implicit: {result['ratio']:.1f}x per iteration "
            "(implicit's published MovieLens-20M ratio: about 15x)"
        )
    if not result["spark_native_blas"]:
        typer.echo(
            f"note: Spark ran without a native BLAS ({NATIVE_BLAS} not found; its JVM fallback "
            f"is slower): `apt-get install {' '.join(BLAS_PACKAGES)}` for a fair comparison"
        )
    if json_path:
        outputs.write_text(json_path, json.dumps(result, indent=2))
        typer.echo(f"wrote {json_path}")
