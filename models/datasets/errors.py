"""Errors of the dataset loaders, each with a stable ``code``."""

from __future__ import annotations

from pathlib import Path


class DatasetError(Exception):
    """Base class for dataset problems."""

    code = "dataset_error"


class UnknownDataset(DatasetError):
    code = "unknown_dataset"

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown dataset {name!r}; known datasets: {', '.join(known)}")
        self.name = name


class DatasetMissing(DatasetError):
    """A file the loader needs is not in the data directory."""

    code = "dataset_missing"

    def __init__(self, path: Path, dataset: str, source: str) -> None:
        super().__init__(
            f"{path} not found: the {dataset!r} dataset is not in the data directory. "
            f"Get it from {source} (or run `emporium data fetch {dataset}`) and point "
            f"EMPORIUM_DATA_DIR at the folder that holds {path.parent.name}/."
        )
        self.path = path
        self.dataset = dataset


class DatasetFetchError(DatasetError):
    code = "dataset_fetch_failed"
