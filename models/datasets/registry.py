"""The datasets emporium knows: where each lives in the data directory and its official source.

Checksums are read from each folder's ``PROVENANCE.md`` (a table with a ``sha256`` column), so a
copy that was truncated or altered is reported as invalid rather than silently used.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from models.datasets.errors import DatasetMissing, UnknownDataset


@dataclass(frozen=True)
class Dataset:
    """A known dataset: its folder under the data directory and how to obtain it."""

    name: str
    folder: str
    files: tuple[str, ...]
    source: str
    licence: str
    download_url: str | None = None  # None: needs an account or a manual step
    archive_members: tuple[tuple[str, str], ...] = ()  # (member in archive, file name here)

    def path(self, data_dir: Path, file: str | None = None) -> Path:
        """The path of ``file`` (default: the first file) in ``data_dir``; raises if missing."""
        target = Path(data_dir) / self.folder / (file or self.files[0])
        if not target.is_file():
            raise DatasetMissing(target, self.name, self.source)
        return target


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "online-retail",
            "uci-online-retail",
            ("online_retail.parquet",),
            "https://archive.ics.uci.edu/dataset/352/online+retail",
            "CC BY 4.0",
            "https://archive.ics.uci.edu/static/public/352/online+retail.zip",
            (("Online Retail.xlsx", "online_retail.parquet"),),
        ),
        Dataset(
            "online-retail-ii",
            "uci-online-retail-ii-2009-2010",
            ("online_retail.parquet",),
            "https://archive.ics.uci.edu/dataset/502/online+retail+ii",
            "CC BY 4.0",
            "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip",
            (("online_retail_II.xlsx", "online_retail.parquet"),),
        ),
        Dataset(
            "movielens-100k",
            "movielens-100k",
            ("u.data", "u.item", "u.user"),
            "https://grouplens.org/datasets/movielens/100k/",
            "research use only (GroupLens)",
            "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
            (
                ("ml-100k/u.data", "u.data"),
                ("ml-100k/u.item", "u.item"),
                ("ml-100k/u.user", "u.user"),
            ),
        ),
        Dataset(
            "movielens-latest-small",
            "movielens-latest-small",
            ("ratings.csv", "movies.csv"),
            "https://grouplens.org/datasets/movielens/latest/",
            "research use only (GroupLens)",
            "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
            (
                ("ml-latest-small/ratings.csv", "ratings.csv"),
                ("ml-latest-small/movies.csv", "movies.csv"),
            ),
        ),
        Dataset(
            "crowdflower",
            "crowdflower-search-relevance",
            tuple(f"{i}-test.csv" for i in range(1, 11)),
            "https://www.kaggle.com/c/crowdflower-search-relevance/data (Kaggle account)",
            "Kaggle competition rules",
        ),
        Dataset(
            "taobao",
            "taobao-userbehavior-head",
            ("UserBehavior.csv",),
            "https://tianchi.aliyun.com/dataset/649 (Tianchi account)",
            "research use",
        ),
        Dataset(
            "rees46",
            "rees46-multicategory-2019-oct-head",
            ("2019-Oct.csv",),
            "https://www.kaggle.com/datasets/mkechinov/ecommerce-behavior-data-from-multi-category-store",
            "see REES46 terms",
        ),
        Dataset(
            "instacart",
            "instacart-sample",
            ("df_sample.csv", "products.csv", "aisles.csv", "departments.csv"),
            "https://www.instacart.com/datasets/grocery-shopping-2017",
            "non-commercial",
        ),
        Dataset(
            "olist",
            "olist-brazilian-ecommerce-partial",
            ("order_items.parquet", "order_payments.parquet", "products.parquet"),
            "https://www.kaggle.com/datasets/olistbr/brazilian-ecommerce",
            "CC BY-NC-SA 4.0",
        ),
        Dataset(
            "diginetica",
            "diginetica-sample",
            ("sample_train-item-views.csv",),
            "https://competitions.codalab.org/competitions/11161 (CIKM Cup 2016)",
            "research use",
        ),
        Dataset(
            "wands",
            "wands-queries",
            ("query.csv",),
            "https://github.com/wayfair/WANDS",
            "MIT",
        ),
    )
}


def get_dataset(name: str) -> Dataset:
    """Look a dataset up by name; raises ``UnknownDataset`` naming the known ones."""
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDataset(name, sorted(DATASETS)) from None


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    present: bool
    valid: bool | None  # None: no checksum to compare with
    problems: tuple[str, ...]
    source: str


_SHA_ROW = re.compile(r"^\|\s*`?([^|`]+?)`?\s*\|.*\b([0-9a-f]{64})\b", re.MULTILINE)


def provenance_checksums(folder: Path) -> dict[str, str]:
    """File name → sha256 from the table in ``folder/PROVENANCE.md`` (empty if none)."""
    provenance = folder / "PROVENANCE.md"
    if not provenance.is_file():
        return {}
    return {m.group(1).strip(): m.group(2) for m in _SHA_ROW.finditer(provenance.read_text())}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_status(dataset: Dataset, data_dir: Path, verify: bool = True) -> DatasetStatus:
    """Whether the dataset's files are present and match their recorded checksums."""
    folder = Path(data_dir) / dataset.folder
    missing = [f for f in dataset.files if not (folder / f).is_file()]
    problems = [f"missing {folder / f}" for f in missing]
    sums = provenance_checksums(folder) if verify and not missing else {}
    for file, expected in sums.items():
        if (folder / file).is_file() and sha256_of(folder / file) != expected:
            problems.append(f"sha256 mismatch for {file}")
    valid = None if not sums else not problems
    return DatasetStatus(
        dataset.name,
        not missing,
        valid if not missing else False,
        tuple(problems),
        dataset.source,
    )
