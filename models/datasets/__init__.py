"""Dataset loaders. Each reads a local data directory and knows its dataset's official source."""

from models.datasets.errors import DatasetError, DatasetMissing
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
    "dataset_status",
    "get_dataset",
]
