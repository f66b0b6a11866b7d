"""``emporium replay`` with a dataset that is missing or unreadable, or a bus that cannot be
used: a message and a non-zero exit, and no event log created."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()
REES46_ROW = (
    b"event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
    b"2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,"
    b"72d76fde-8bb3-4e00-8c23-a032dfed738c\n"
)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("EMPORIUM_EVENTS__URL", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "state"


def put(state: Path, relative: str, content: bytes) -> None:
    path = state.parent / "data" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


@pytest.mark.parametrize("dataset", ["online-retail", "taobao", "rees46"])
def test_a_missing_dataset_publishes_nothing(state: Path, dataset: str) -> None:
    result = runner.invoke(app, ["replay", dataset, "--limit", "5"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "not found" in result.stderr
    assert not (state / "events").exists()


@pytest.mark.parametrize(
    ("dataset", "relative", "content", "message"),
    [
        ("online-retail", "uci-online-retail/online_retail.parquet", b"PAR1\x00", "cannot be read"),
        ("rees46", "rees46-multicategory-2019-oct-head/2019-Oct.csv", b"a,b\n1,2\n", "no column"),
        ("taobao", "taobao-userbehavior-head/UserBehavior.csv", b"", "not one event"),
    ],
)
def test_an_unreadable_dataset_publishes_nothing(
    state: Path, dataset: str, relative: str, content: bytes, message: str
) -> None:
    put(state, relative, content)
    result = runner.invoke(app, ["replay", dataset, "--limit", "5"])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (state / "events").exists()


def test_an_unknown_bus_url_is_a_message(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(state, "rees46-multicategory-2019-oct-head/2019-Oct.csv", REES46_ROW)
    monkeypatch.setenv("EMPORIUM_EVENTS__URL", "garbage://x")
    result = runner.invoke(app, ["replay", "rees46", "--limit", "5"])
    assert result.exit_code == 1, result.output
    assert (
        result.stderr
        == "error: unsupported events URL 'garbage://x': expected one of log://, kafka://\n"
    )
