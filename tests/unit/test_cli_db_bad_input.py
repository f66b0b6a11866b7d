"""``db``, ``catalog load`` and ``users create-admin`` with a database or state directory that
cannot be used: one line on stderr, a non-zero exit, and nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app

UNREACHABLE = "postgresql+psycopg://nobody:secret@127.0.0.1:1/x"
runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("EMPORIUM_DATABASE__URL", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.mark.parametrize(
    "args",
    [
        ["catalog", "load", "online-retail"],
        ["users", "create-admin", "--email", "a@example.com", "--password", "0123456789ab"],
        ["db", "upgrade"],
    ],
)
def test_an_unreachable_database_is_one_line(
    state: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", UNREACHABLE)
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: migrating EMPORIUM_DATABASE__URL=")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "secret" not in result.stderr


def test_a_failed_upgrade_leaves_no_database_file_or_state_dir(state: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade", "no-such-revision"])
    assert result.exit_code == 1
    assert "Can't locate revision" in result.stderr
    assert not state.exists()


def test_a_state_dir_under_a_file_is_a_message(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "file" / "state"))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "is not a directory" in result.stderr


def test_outbox_without_a_database_says_to_upgrade_and_creates_nothing(state: Path) -> None:
    result = runner.invoke(app, ["db", "outbox"])
    assert result.exit_code == 1
    assert "run `emporium db upgrade` first" in result.stderr
    assert not (state / "emporium.db").exists()


def test_catalog_load_without_the_dataset_touches_no_database(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path / "empty"))
    result = runner.invoke(app, ["catalog", "load", "online-retail"])
    assert result.exit_code == 2
    assert "not found" in result.stderr
    assert not (state / "emporium.db").exists()


def test_upgrade_says_where_the_database_really_is(state: Path) -> None:
    """Upgrading to an earlier revision changes nothing; it used to echo the argument."""
    head = runner.invoke(app, ["db", "upgrade"])
    assert head.exit_code == 0, head.output
    at = head.output.rsplit(" is at ", 1)[1].strip()
    assert at != "head"
    again = runner.invoke(app, ["db", "upgrade", "base"])
    assert again.exit_code == 0 and again.output.rstrip().endswith(f" is at {at}")


def test_upgrade_makes_the_folders_a_new_sqlite_file_needs(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's engine made them at start-up; `db upgrade` said "unable to open"."""
    good, bad = state.parent / "a" / "b" / "shop.db", state.parent / "c" / "d" / "shop.db"
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", f"sqlite:///{good}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert good.is_file()
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", f"sqlite:///{bad}")
    assert runner.invoke(app, ["db", "upgrade", "no-such-revision"]).exit_code == 1
    assert not (state.parent / "c").exists()  # a failed upgrade takes its folders back


@pytest.mark.timeout(60)
def test_a_database_that_accepts_and_never_answers_is_a_message_within_the_bound(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migrations' engine had no connect time-out: `db upgrade` (and every command that
    migrates first) waited for as long as the server kept silent. Here a socket accepts and
    says nothing."""
    import socket
    import time

    monkeypatch.setattr("commerce.adapters.db.PG_CONNECT_TIMEOUT_S", 1)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        monkeypatch.setenv("EMPORIUM_DATABASE__URL", f"postgresql+psycopg://u@127.0.0.1:{port}/x")
        start = time.monotonic()
        result = runner.invoke(app, ["db", "upgrade"])
        took = time.monotonic() - start
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: migrating EMPORIUM_DATABASE__URL=")
    assert "timeout" in result.stderr
    assert took < 15
