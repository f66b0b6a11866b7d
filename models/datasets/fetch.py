"""Downloading a dataset from its official source (for machines with internet access)."""

from __future__ import annotations

import io
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd

from models.datasets.errors import DatasetFetchError
from models.datasets.registry import Dataset, provenance_checksums, sha256_of


def fetch_dataset(
    dataset: Dataset, data_dir: Path, url: str | None = None, timeout_s: float = 60.0
) -> Path:
    """Download ``dataset`` into ``data_dir/<folder>`` and return that folder.

    Files are written to a temporary folder first and moved into place only when every file
    is complete, so a failed download never leaves a half-written dataset behind.

    Raises
    ------
    DatasetFetchError
        When the dataset has no automatic download, or the download fails.
    """
    source = url or dataset.download_url
    if source is None:
        raise DatasetFetchError(
            f"{dataset.name} cannot be downloaded automatically: get it from {dataset.source} "
            f"and put {', '.join(dataset.files)} into {Path(data_dir) / dataset.folder}/"
        )
    payload = _download(source, timeout_s)
    target = Path(data_dir) / dataset.folder
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{dataset.folder}-") as tmp:
            converted = _unpack(dataset, payload, Path(tmp))
            _check_against_provenance(dataset, Path(tmp), target, converted)
            target.mkdir(exist_ok=True)
            for file in Path(tmp).iterdir():
                shutil.move(str(file), target / file.name)
    except OSError as e:
        raise DatasetFetchError(f"could not save {dataset.name} in {target}: {e}") from e
    return target


def _download(url: str, timeout_s: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
            return bytes(response.read())
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as e:  # ValueError: no URL
        raise DatasetFetchError(
            f"could not download {url}: {e}. On a machine without internet access, download "
            "it elsewhere and copy the files into the data directory (EMPORIUM_DATA_DIR)."
        ) from e


def _check_against_provenance(
    dataset: Dataset, fetched: Path, target: Path, converted: set[str]
) -> None:
    """Refuse a download whose files differ from the checksums the existing folder records
    (a wrong ``--url`` would otherwise replace a good copy). Files emporium converted (Excel
    to Parquet) are not byte-for-byte the recorded ones and are not compared."""
    expected = provenance_checksums(target)
    wrong = [
        name
        for name, digest in expected.items()
        if name not in converted
        and (fetched / name).is_file()
        and sha256_of(fetched / name) != digest
    ]
    if wrong:
        raise DatasetFetchError(
            f"the download of {dataset.name} does not match {target / 'PROVENANCE.md'} "
            f"({', '.join(sorted(wrong))}); the files in {target} were kept"
        )


def _unpack(dataset: Dataset, payload: bytes, into: Path) -> set[str]:
    """Write the dataset's files into ``into``; returns those converted on the way."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as e:
        raise DatasetFetchError(f"the download for {dataset.name} is not a zip archive") from e
    converted: set[str] = set()
    with archive:
        names = set(archive.namelist())
        for member, file in dataset.archive_members:
            if member not in names:
                raise DatasetFetchError(f"{member} is missing from {dataset.name}'s archive")
            data = archive.read(member)
            if member.endswith(".xlsx") and file.endswith(".parquet"):
                # The official Online Retail files are Excel; emporium reads Parquet.
                frame = pd.read_excel(
                    io.BytesIO(data), dtype={"InvoiceNo": str, "Invoice": str, "StockCode": str}
                )
                frame.to_parquet(into / file, index=False)
                converted.add(file)
            else:
                (into / file).write_bytes(data)
    return converted
