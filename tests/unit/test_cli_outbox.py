"""``emporium db outbox``: the relay's backlog and its set-aside rows, on the embedded database."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import flat
from sqlalchemy import insert
from typer.testing import CliRunner

from commerce.adapters.db import make_engine, upgrade
from commerce.adapters.orm import outbox
from commerce.domain.events import utcnow
from emporium.cli import app


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", url)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(outbox),
            [
                {  # executemany: every row names the same columns
                    "topic": "commerce",
                    "event_id": "e1",
                    "event": {},
                    "created_at": utcnow(),
                    "failed_at": None,
                    "error": None,
                },
                {
                    "topic": "commerce",
                    "event_id": "e2",
                    "event": {},
                    "created_at": utcnow(),
                    "failed_at": utcnow(),
                    "error": "ValidationError: type is missing",
                },
            ],
        )
    engine.dispose()
    return url


def test_lists_pending_and_set_aside_rows(database: str) -> None:
    result = CliRunner().invoke(app, ["db", "outbox"])
    assert result.exit_code == 0, result.output
    assert "pending: 1; set aside: 1" in result.output
    assert "row 2 (commerce): ValidationError: type is missing" in result.output


def test_retry_puts_set_aside_rows_back_in_line(database: str) -> None:
    result = CliRunner().invoke(app, ["db", "outbox", "--retry"])
    assert result.exit_code == 0, result.output
    assert "1 set-aside rows are back in line" in result.output
    assert "pending: 2; set aside: 0" in result.output


def test_an_unreachable_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPORIUM_DATABASE__URL", "postgresql+psycopg://u:p@127.0.0.1:1/db")
    result = CliRunner().invoke(app, ["db", "outbox"])
    assert result.exit_code == 1
    assert "error: reading the outbox of EMPORIUM_DATABASE__URL=" in flat(result.output)
    assert "127.0.0.1:1/db failed" in flat(result.output) and ":p@" not in result.output
