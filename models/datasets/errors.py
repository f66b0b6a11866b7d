"""Errors of the dataset loaders, each with a stable ``code``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


class DatasetUnreadable(DatasetError):
    """A dataset file is there but cannot be read: truncated, altered or of another format."""

    code = "dataset_unreadable"

    def __init__(self, path: Path, dataset: str, problem: str) -> None:
        super().__init__(
            f"{path} cannot be read as the {dataset!r} dataset ({problem}); it may be truncated "
            "or altered: `emporium data list` checks it against its sha256"
        )
        self.path = path
        self.dataset = dataset


@contextmanager
def reading(path: Path, dataset: str) -> Iterator[None]:
    """Turn a parser's complaint about ``path`` (bad bytes, wrong columns) into
    :class:`DatasetUnreadable`."""
    try:
        yield
    except KeyError as e:
        raise DatasetUnreadable(path, dataset, f"no column {e}") from e
    except (ValueError, TypeError, OSError) as e:  # pandas/pyarrow parse errors are ValueErrors
        raise DatasetUnreadable(path, dataset, problem_of(e)) from e


def problem_of(e: Exception) -> str:
    """A parser's complaint in one line (its first), or the error's type when it says nothing."""
    return str(e).splitlines()[0] if str(e) else type(e).__name__
