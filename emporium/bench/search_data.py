"""CrowdFlower search relevance as a search benchmark: products, graded queries, nDCG@10.

The dataset (../shared/data/crowdflower-search-relevance, never copied into the repo) has
10,158 (query, product title, description, median grade) rows. A product is a distinct
(title, description) pair; a query's grade for a product is the mean of the medians when the
same pair was judged more than once.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from commerce.domain.search import ProductDoc
from models.datasets import get_dataset
from models.datasets.errors import DatasetUnreadable, reading

K = 10


@dataclass(frozen=True)
class RelevanceSet:
    products: list[ProductDoc]
    grades: dict[str, dict[str, float]]  # query -> product id -> grade (1-4)

    def queries(self, half: str) -> list[str]:
        """``design`` (tuning) or ``heldout`` (reported) queries, by ``query_half``."""
        return sorted(q for q in self.grades if query_half(q) == half)


def query_half(query: str) -> str:
    """Fixed split: parity of the first byte of the SHA-1 of the query text."""
    return (
        "design"
        if hashlib.sha1(query.encode("utf-8"), usedforsecurity=False).digest()[0] % 2 == 0
        else "heldout"
    )


def product_id(title: str, description: str) -> str:
    return hashlib.sha1(f"{title}\x00{description}".encode(), usedforsecurity=False).hexdigest()[
        :16
    ]


def load(data_dir: Path) -> RelevanceSet:
    """Products and grades from the ten fold files of the dataset directory.

    Raises
    ------
    models.datasets.DatasetMissing
        Naming the first missing fold file and where to get the dataset.
    """
    dataset = get_dataset("crowdflower")
    files = [dataset.path(data_dir, name) for name in dataset.files]
    columns = ["id", "product_title", "product_description", "query", "median_relevance"]
    frames = []
    for f in files:
        with reading(f, dataset.name):
            frame = pd.read_csv(f, keep_default_na=False)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DatasetUnreadable(f, dataset.name, f"no column(s) {', '.join(missing)}")
        frames.append(frame[columns])
    rows = pd.concat(frames).sort_values("id")
    products: dict[str, ProductDoc] = {}
    medians: dict[tuple[str, str], list[float]] = defaultdict(list)
    for title, desc, query, grade in zip(
        rows["product_title"],
        rows["product_description"],
        rows["query"],
        rows["median_relevance"],
        strict=True,
    ):
        pid = product_id(title, desc)
        products.setdefault(pid, ProductDoc(pid, title, desc, stock=1))
        medians[(query, pid)].append(float(grade))
    grades: dict[str, dict[str, float]] = defaultdict(dict)
    for (query, pid), values in medians.items():
        grades[query][pid] = sum(values) / len(values)
    return RelevanceSet(list(products.values()), dict(grades))


def ndcg_at_k(ranked: Sequence[str], grades: dict[str, float], k: int = K) -> float:
    """nDCG@k with gain = grade - 1; a product not judged for the query has gain 0."""
    dcg = sum((grades.get(pid, 1.0) - 1.0) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted((g - 1.0 for g in grades.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0
