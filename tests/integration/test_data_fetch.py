"""`emporium data fetch` against a small HTTP server on loopback (the real download path)."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app
from models.datasets import get_dataset
from models.datasets.errors import DatasetFetchError
from models.datasets.fetch import fetch_dataset


def _movielens_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-100k/u.data", "1\t2\t5\t881250949\n")
        archive.writestr("ml-100k/u.item", "2|Toy Story (1995)|01-Jan-1995||\n")
        archive.writestr("ml-100k/u.user", "1|24|M|technician|85711\n")
    return buffer.getvalue()


@pytest.fixture
def server() -> Iterator[str]:
    routes = {"/ml-100k.zip": _movielens_zip(), "/broken.zip": b"not a zip"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_fetch_downloads_and_unpacks_into_the_data_directory(server: str, tmp_path: Path) -> None:
    target = fetch_dataset(get_dataset("movielens-100k"), tmp_path, url=f"{server}/ml-100k.zip")
    assert sorted(p.name for p in target.iterdir()) == ["u.data", "u.item", "u.user"]
    assert (target / "u.data").read_text() == "1\t2\t5\t881250949\n"


def test_failed_download_says_what_to_do_and_writes_nothing(server: str, tmp_path: Path) -> None:
    for path in ("/missing.zip", "/broken.zip"):
        with pytest.raises(DatasetFetchError):
            fetch_dataset(get_dataset("movielens-100k"), tmp_path, url=f"{server}{path}")
    assert list(tmp_path.iterdir()) == []


def test_cli_fetch_exits_non_zero_with_a_message(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    manual = runner.invoke(app, ["data", "fetch", "crowdflower"])
    assert manual.exit_code == 2 and "kaggle.com" in manual.output
    unknown = runner.invoke(app, ["data", "fetch", "nope"])
    assert unknown.exit_code == 2 and "unknown dataset" in unknown.output
    ok = runner.invoke(app, ["data", "fetch", "movielens-100k", "--url", f"{server}/ml-100k.zip"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "movielens-100k" / "u.data").is_file()
