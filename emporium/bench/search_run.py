"""The work of `emporium bench search` (``search.command`` checks the options, then calls
``run``): nDCG@10 against human grades, and query latency, per engine.

Every product of the dataset is indexed (title as ``name``, description); the ``query``
column is never indexed and nothing is derived from the grades. The queries are split in two
by a fixed rule (``search_data.query_half``): the shipped query was tuned on the ``design``
half only, and the figures reported are for the ``heldout`` half.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from commerce.adapters.search import SearchEngine, new_index_name, search_engine_from_url
from commerce.adapters.search.hybrid import Encoder, HybridSearchEngine, Vectors
from commerce.domain.search import QueryProfile, SearchRequest
from emporium import outputs
from emporium.bench import search_data
from emporium.settings import get_settings
from models.datasets import DatasetError


@dataclass(frozen=True)
class Row:
    engine: str
    query: str
    half: str
    queries: int
    ndcg_at_10: float
    ndcg_at_10_rerank: float
    p50_ms: float
    p99_ms: float

    def as_json(self) -> dict[str, object]:
        raw = asdict(self)
        raw["ndcg@10"] = raw.pop("ndcg_at_10")
        raw["ndcg@10_rerank"] = raw.pop("ndcg_at_10_rerank")
        return raw


def build_engine(url: str, data: search_data.RelevanceSet) -> SearchEngine:
    """A fresh versioned index holding every product, behind the ``bench-crowdflower`` alias."""
    engine = search_engine_from_url(url, alias="bench-crowdflower")
    index = new_index_name(engine.alias)
    engine.create_index(index)
    engine.bulk_index(data.products, index)
    engine.swap_alias(index)
    engine.refresh()
    return engine


def evaluate(
    engine: SearchEngine,
    name: str,
    data: search_data.RelevanceSet,
    profile: QueryProfile,
    half: str,
    label: str | None = None,
) -> Row:
    """Mean nDCG@10 (whole index, and re-ranking the judged products) and latencies."""
    full, rerank, latencies = [], [], []
    for text in data.queries(half):
        grades = data.grades[text]
        started = time.perf_counter()
        ids = engine.search(SearchRequest(text=text, profile=profile, facets=False)).ids
        latencies.append((time.perf_counter() - started) * 1000)
        full.append(search_data.ndcg_at_k(ids, grades))
        rerank.append(search_data.ndcg_at_k(_rerank(engine, text, profile, grades), grades))
    return Row(
        engine=name,
        query=label or profile.value,
        half=half,
        queries=len(full),
        ndcg_at_10=round(statistics.fmean(full), 4),
        ndcg_at_10_rerank=round(statistics.fmean(rerank), 4),
        p50_ms=round(_percentile(latencies, 50), 2),
        p99_ms=round(_percentile(latencies, 99), 2),
    )


def _rerank(
    engine: SearchEngine, text: str, profile: QueryProfile, grades: dict[str, float]
) -> list[str]:
    # Judged products the query does not match follow in dataset order (not by grade).
    judged = tuple(grades)
    request = SearchRequest(text=text, profile=profile, product_ids=judged, facets=False, size=10)
    ranked = engine.search(request).ids
    return ranked + [pid for pid in judged if pid not in ranked]


def _percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _semantic_encoder() -> Encoder | None:
    try:
        from commerce.adapters.search.minilm import MiniLmEncoder

        return MiniLmEncoder()
    except ImportError as e:
        typer.echo(f"hybrid: skipped, the semantic extra is not installed ({e.name})")
        return None


def _embed_products(hybrid: HybridSearchEngine, data: search_data.RelevanceSet) -> None:
    started = time.perf_counter()
    hybrid.remember(data.products)
    typer.echo(f"hybrid: products embedded in {time.perf_counter() - started:.0f}s")


def print_table(rows: list[Row]) -> None:
    header = ("engine", "query", "half", "n", "nDCG@10", "rerank", "p50 ms", "p99 ms")
    typer.echo("{:<12} {:<8} {:<8} {:>4} {:>8} {:>8} {:>8} {:>8}".format(*header))
    for r in rows:
        typer.echo(
            f"{r.engine:<12} {r.query:<8} {r.half:<8} {r.queries:>4} {r.ndcg_at_10:>8.4f} "
            f"{r.ndcg_at_10_rerank:>8.4f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
        )
    for engine in dict.fromkeys(r.engine for r in rows):
        by_query = {r.query: r.ndcg_at_10 for r in rows if r.engine == engine}
        for query in ("shipped", "hybrid"):
            if by_query.get("bm25") and query in by_query:
                ratio = by_query[query] / by_query["bm25"]
                verdict = "meets" if ratio >= 1.10 else "misses"
                typer.echo(f"{engine}: {query} / bm25 = {ratio:.3f} ({verdict} the 1.10 target)")
    typer.echo(
        "nDCG@10: gain = grade - 1 over the whole index; a product not judged for a query counts "
        "as 0. rerank: only each query's judged products are ranked."
    )


def run(
    names: list[str],
    opensearch_url: str,
    half: str,
    data_dir: Path | None,
    json_path: Path | None,
    semantic: bool,
) -> None:
    """Index the CrowdFlower products in each engine of ``names``; print and save the rows."""
    try:
        data = search_data.load(data_dir or get_settings().data_dir)
    except DatasetError as e:
        raise typer.BadParameter(str(e), param_hint="--dataset / --data-dir") from e
    queries = len(data.queries(half))
    typer.echo(f"{len(data.products)} products, {queries} {half} queries of {len(data.grades)}")
    encoder = _semantic_encoder() if semantic else None
    vectors: Vectors = OrderedDict()  # product embeddings, computed once for all engines
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        urls = {"embedded": f"embedded://{Path(tmp) / 'search.db'}", "opensearch": opensearch_url}
        for name in names:
            engine = build_engine(urls[name], data)
            try:
                rows += [
                    evaluate(engine, name, data, p, half)
                    for p in (QueryProfile.BM25, QueryProfile.SHIPPED)
                ]
                if encoder is not None:
                    hybrid = HybridSearchEngine(engine, encoder, vectors=vectors)
                    _embed_products(hybrid, data)
                    rows.append(evaluate(hybrid, name, data, QueryProfile.SHIPPED, half, "hybrid"))
            finally:
                index = engine.current_index()
                if index is not None:
                    engine.drop_index(index)
                engine.close()
    print_table(rows)
    if json_path is not None:
        outputs.write_text(json_path, json.dumps([r.as_json() for r in rows], indent=2))
        typer.echo(f"wrote {json_path}")
