"""A bad EMPORIUM_* value is one message for every command, and the worker refuses a bus or
database it cannot use with a message instead of a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("EMPORIUM_DATABASE__URL", "EMPORIUM_EVENTS__URL", "EMPORIUM_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EMPORIUM_MODE", "nope", "EMPORIUM_MODE: Input should be 'dev' or 'prod'"),
        ("EMPORIUM_SERVE__PORT", "abc", "EMPORIUM_SERVE__PORT: Input should be a valid integer"),
        ("EMPORIUM_MODE", "prod", "EMPORIUM_AUTH__JWT_SECRET must be set"),
    ],
)
def test_an_invalid_setting_is_one_line_before_any_command(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["data", "list"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: invalid settings: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_worker_refuses_an_unsupported_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_EVENTS__URL", "garbage://x")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2, result.output
    assert "EMPORIUM_EVENTS__URL: unsupported events URL 'garbage://x'" in result.stderr


@pytest.mark.parametrize("ca", ["/nonexistent", "not-a-certificate.pem"])
def test_the_worker_with_a_payments_ca_it_cannot_use_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ca: str
) -> None:
    (tmp_path / "not-a-certificate.pem").write_text("hello")
    monkeypatch.setenv("EMPORIUM_EVENTS__URL", f"log://{tmp_path / 'events'}")
    monkeypatch.setenv("EMPORIUM_PAYMENTS__URL", "https://127.0.0.1:1")
    monkeypatch.setenv("EMPORIUM_PAYMENTS__CA_FILE", str(tmp_path / ca))
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: EMPORIUM_PAYMENTS__CA_FILE={tmp_path / ca}: ")


def test_the_worker_reads_the_payment_provider_from_dot_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The worker took its provider from its own options and ignored .env, where the API
    found it: it then cancelled orders whose money had arrived, without asking."""
    for name in ("EMPORIUM_PAYMENTS__URL", "EMPORIUM_PAYMENTS__CA_FILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        f"EMPORIUM_EVENTS__URL=log://{tmp_path / 'events'}\n"
        "EMPORIUM_PAYMENTS__URL=https://127.0.0.1:1\n"
        # Unreachable: a worker that ignored .env's provider fails on it at once (exit 1),
        # instead of running forever.
        "EMPORIUM_DATABASE__URL=postgresql+psycopg://nobody@127.0.0.1:1/x\n"
        f"EMPORIUM_PAYMENTS__CA_FILE={tmp_path / 'missing.pem'}\n"
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2, result.output
    assert f"EMPORIUM_PAYMENTS__CA_FILE={tmp_path / 'missing.pem'}: no such CA file" in (
        result.stderr
    )


def test_the_worker_on_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: migrating EMPORIUM_DATABASE__URL=")
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args", [["models", "list"], ["services", "status", "--only", "redis"]])
def test_a_state_dir_under_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "file" / "state"))
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: EMPORIUM_STATE_DIR={tmp_path / 'file' / 'state'} cannot be used: "
        f"{tmp_path / 'file'} is not a directory\n"
    )


def test_an_unreachable_tracking_server_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_MLFLOW__TRACKING_URI", "http://127.0.0.1:1")
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: MLflow at http://127.0.0.1:1: ")
    assert isinstance(result.exception, SystemExit)


def test_quick_mlflow_requests_last_only_for_the_first_contact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Model uploads after it keep MLflow's own time-out and retries; a user's setting wins.
    from emporium.champion import quick_requests

    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    with quick_requests():
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "10"
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "5"
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "5"


def test_a_state_dir_that_cannot_be_written_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    """A read-only or full state directory surfaced as an OSError traceback."""
    from emporium.cli import main

    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("EMPORIUM_STATE_DIR", "/proc/emporium-cannot-be-here")
    monkeypatch.delenv("EMPORIUM_EVENTS__URL", raising=False)
    monkeypatch.setattr("sys.argv", ["emporium", "replay", "taobao", "--limit", "5"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err == "error: /proc/emporium-cannot-be-here: No such file or directory\n"


def test_a_database_that_refuses_the_work_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A read-only, damaged or locked database surfaced as SQLAlchemy's traceback."""
    import sqlite3

    from emporium.cli import main

    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("EMPORIUM_DATABASE__URL", raising=False)
    monkeypatch.setattr("sys.argv", ["emporium", "db", "upgrade"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code in (0, None)
    with sqlite3.connect(tmp_path / "emporium.db") as conn:  # damaged: a table gone
        conn.execute("DROP TABLE users")
    argv = ["emporium", "users", "create-admin", "--email", "a@example.com"]
    monkeypatch.setattr("sys.argv", [*argv, "--password", "correct horse battery"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    assert capsys.readouterr().err.endswith("error: database: no such table: users\n")
