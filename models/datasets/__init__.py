"""Dataset loaders. Each reads a local data directory and knows its dataset's official source."""

from models.datasets.errors import DatasetError, DatasetMissing, DatasetUnreadable
from models.datasets.registry import (
    DATASETS,
    Dataset,
    DatasetStatus,
    dataset_status,
    get_dataset,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetError",
    "DatasetMissing",
    "DatasetStatus",
    "DatasetUnreadable",
    "dataset_status",
    "get_dataset",
]
