"""``emporium data fetch`` with a URL that is not one, a time-out that cannot be, or a data
directory that cannot hold the files: a message and exit 2, nothing half-written."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


def ml100k_zip(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("u.data", "u.item", "u.user"):
            archive.writestr(f"ml-100k/{name}", "1\t2\t3\t4\n")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_a_url_that_is_not_one_is_a_message(data_dir: Path) -> None:
    result = runner.invoke(app, ["data", "fetch", "movielens-100k", "--url", "notaurl"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: could not download notaurl: unknown url type")
    assert not data_dir.exists()


def test_a_zero_timeout_is_refused(data_dir: Path) -> None:
    result = runner.invoke(app, ["data", "fetch", "movielens-100k", "--timeout", "0"])
    assert result.exit_code == 2
    assert "--timeout" in result.stderr


def test_a_local_mirror_is_saved(data_dir: Path, tmp_path: Path) -> None:
    url = ml100k_zip(tmp_path / "ml.zip").as_uri()
    result = runner.invoke(app, ["data", "fetch", "movielens-100k", "--url", url])
    assert result.exit_code == 0, result.output
    assert (data_dir / "movielens-100k" / "u.data").read_text() == "1\t2\t3\t4\n"


def test_a_data_dir_under_a_file_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path / "file" / "data"))
    url = ml100k_zip(tmp_path / "ml.zip").as_uri()
    result = runner.invoke(app, ["data", "fetch", "movielens-100k", "--url", url])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: could not save movielens-100k in ")


def test_a_download_that_differs_from_the_recorded_checksums_keeps_the_good_copy(
    data_dir: Path, tmp_path: Path
) -> None:
    """A wrong --url replaced a good copy and said "saved"."""
    folder = data_dir / "movielens-100k"
    folder.mkdir(parents=True)
    good = b"196\t242\t3\t881250949\n"
    (folder / "u.data").write_bytes(good)
    digest = hashlib.sha256(good).hexdigest()
    (folder / "PROVENANCE.md").write_text(f"| file | sha256 |\n|---|---|\n| u.data | {digest} |\n")
    url = ml100k_zip(tmp_path / "ml.zip").as_uri()
    result = runner.invoke(app, ["data", "fetch", "movielens-100k", "--url", url])
    assert result.exit_code == 2, result.output
    assert "does not match" in result.stderr and "u.data" in result.stderr
    assert (folder / "u.data").read_bytes() == good
    assert sorted(p.name for p in data_dir.iterdir()) == ["movielens-100k"]  # no temp left
