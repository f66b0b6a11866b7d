from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.datasets import DatasetMissing, dataset_status, get_dataset
from models.datasets.errors import UnknownDataset


def test_present_datasets_validate_against_provenance(data_dir: Path) -> None:
    status = dataset_status(get_dataset("movielens-100k"), data_dir)
    assert status.present and status.valid is True and status.problems == ()


def test_altered_copy_is_reported_invalid(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "movielens-100k"
    shutil.copytree(data_dir / "movielens-100k", folder)
    (folder / "u.user").chmod(0o644)
    with (folder / "u.user").open("a") as fh:
        fh.write("944|1|M|other|00000\n")
    status = dataset_status(get_dataset("movielens-100k"), tmp_path)
    assert status.present and status.valid is False
    assert any("u.user" in p for p in status.problems)


def test_missing_file_names_the_file_and_where_to_get_it(tmp_path: Path) -> None:
    dataset = get_dataset("online-retail")
    assert dataset_status(dataset, tmp_path).present is False
    with pytest.raises(DatasetMissing) as caught:
        dataset.path(tmp_path)
    message = str(caught.value)
    assert "online_retail.parquet" in message and "archive.ics.uci.edu" in message


def test_unknown_dataset_lists_known_ones() -> None:
    with pytest.raises(UnknownDataset, match="movielens-100k"):
        get_dataset("movielens-1b")
