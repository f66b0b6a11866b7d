"""``emporium replay`` with a dataset that is missing or unreadable, or a bus that cannot be
used: a message and a non-zero exit, and no event log created."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app
from emporium.settings import get_settings
from pipelines.events import factory
from pipelines.events.errors import PublishFailed
from pipelines.events.factory import event_bus_from_url

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
        == "error: EMPORIUM_EVENTS__URL=garbage://x: unsupported events URL 'garbage://x': "
        "expected one of log://, kafka://\n"
    )


def rees46_rows(bad: dict[int, tuple[int, str]], n: int = 40) -> bytes:
    """``n`` good REES46 rows; ``bad`` maps a row number to (column index, new text)."""
    header, row = REES46_ROW.decode().splitlines()
    lines = [header]
    for k in range(n):
        cells = row.split(",")
        cells[2] = str(44600062 + k)
        if k in bad:
            col, text = bad[k]
            cells[col] = text
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({30: (7, "9" * 129)}, "line 32: user_id is longer than 128 characters"),
        ({30: (2, "")}, "line 32: product_id is empty"),
        ({30: (6, "cheap"), 35: (7, "")}, "line 32: price is not a number"),
        ({35: (8, "s" * 200)}, "line 37: user_session is longer than 128 characters"),
    ],
)
def test_a_bad_row_mid_file_publishes_nothing(
    state: Path, bad: dict[int, tuple[int, str]], message: str
) -> None:
    # With 5 events per publish, the rows before the bad one were published before the fix.
    put(state, "rees46-multicategory-2019-oct-head/2019-Oct.csv", rees46_rows(bad))
    result = runner.invoke(app, ["replay", "rees46", "--batch-size", "5"])
    assert result.exit_code == 2, result.output
    assert "2019-Oct.csv cannot be read as the 'rees46' dataset (" + message + ")" in result.stderr
    assert not (state / "events").exists()


def test_an_empty_price_is_replayed_as_no_price(state: Path) -> None:
    put(state, "rees46-multicategory-2019-oct-head/2019-Oct.csv", rees46_rows({3: (6, "")}, n=5))
    result = runner.invoke(app, ["replay", "rees46"])
    assert result.exit_code == 0, result.output
    settings = get_settings()
    bus = event_bus_from_url(settings.events_url)
    try:
        topics = (settings.events.commerce_topic, settings.events.clickstream_topic)
        events = [c.event for t in topics for c in bus.consume(t, "test", max_events=100)]
    finally:
        bus.close()
    fourth = [e for e in events if e.product_id == "44600065"]
    assert {e.type for e in fourth} == {"ProductCreated", "product_view"}
    assert [e.payload.get("price") for e in fourth] == [None, None]


TAOBAO_ROW = "1,2268318,2520377,pv,1511544070"


def test_a_taobao_row_without_a_time_mid_file_publishes_nothing(state: Path) -> None:
    rows = [TAOBAO_ROW] * 10 + ["1,2268318,2520377,pv,yesterday"] + [TAOBAO_ROW] * 10 + ["1,22"]
    put(state, "taobao-userbehavior-head/UserBehavior.csv", ("\n".join(rows)).encode())
    result = runner.invoke(app, ["replay", "taobao", "--batch-size", "2"])
    assert result.exit_code == 2, result.output
    assert "(line 11: timestamp is not whole seconds)" in result.stderr
    assert not (state / "events").exists()


class BusFailingOnThirdPublish:
    def __init__(self) -> None:
        self.calls = 0

    def publish(self, topic: str, events: object) -> None:
        self.calls += 1
        if self.calls == 3:
            raise PublishFailed(f"could not publish to {topic}", topic=topic)

    def close(self) -> None:
        pass


def test_a_bus_failing_part_way_says_what_was_published(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(state, "rees46-multicategory-2019-oct-head/2019-Oct.csv", rees46_rows({}))
    monkeypatch.setattr(factory, "event_bus_from_url", lambda url: BusFailingOnThirdPublish())
    result = runner.invoke(app, ["replay", "rees46", "--batch-size", "5"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: EMPORIUM_EVENTS__URL=log://")
    assert ": could not publish to " in result.stderr
    assert "(after 10 events were published; replaying again is safe" in result.stderr
