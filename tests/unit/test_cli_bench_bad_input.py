"""The benchmarks refuse bad input before any work: a message and a non-zero exit, no
traceback and no output file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import WIDE, flat, two_blocks
from typer.testing import CliRunner

from emporium import outputs
from emporium.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args), env=WIDE)
    text = flat(result.output)
    return result, text


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    return f"interactions:{two_blocks(tmp_path / 'events.csv')}"


@pytest.mark.parametrize("where", ["under-a-file", "missing-dir", "a-directory"])
def test_an_unwritable_json_path_is_refused_before_the_benchmark_runs(
    events: str, tmp_path: Path, where: str
) -> None:
    path = {
        "under-a-file": tmp_path / "events.csv" / "out.json",
        "missing-dir": tmp_path / "nowhere" / "out.json",
        "a-directory": tmp_path,
    }[where]
    result, text = run("bench", "recs", "--dataset", events, "--json", str(path))
    assert result.exit_code == 2, result.output
    assert "--json" in text
    assert "train" not in result.output.split("Error")[0]  # refused before the split
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_json_file_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    outputs.write_text(target, '{"a": 1}')
    assert target.read_text() == '{"a": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary left behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--iterations", "1"], "--iterations"),
        (["--iterations", "0"], "--iterations"),
        (["--factors", "0"], "--factors"),
        (["--regularization", "-1"], "--regularization"),
    ],
)
def test_bench_train_refuses_numbers_it_cannot_time(
    events: str, args: list[str], message: str
) -> None:
    result, text = run("bench", "train", "--dataset", events, *args)
    assert result.exit_code == 2, result.output
    assert message in text


def test_bench_search_refuses_an_unknown_engine_before_loading_data(tmp_path: Path) -> None:
    result, text = run("bench", "search", "--engines", "embedded,nope", "--data-dir", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "expected embedded and/or opensearch" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clients", "1,x"], "expected positive whole numbers"),
        (["--model", "nope"], "'nope': one of"),
        (["--n", "0"], "Invalid value for '--n'"),
        (["--dataset", "interactions:/nowhere/events.csv"], "/nowhere/events.csv"),
    ],
)
def test_bench_serve_refuses_bad_input_before_training(
    events: str, args: list[str], message: str
) -> None:
    result, text = run("bench", "serve", "--dataset", events, *args)
    assert result.exit_code == 2, result.output
    assert message in text
    assert "training and registering" not in result.output


@pytest.mark.parametrize("clients", ["a,b", "0,8", "-1", ""])
def test_bench_checkout_refuses_bad_concurrency_levels(clients: str) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x"
    result, text = run("bench", "checkout", "--database-url", url, "--clients", clients)
    assert result.exit_code == 2, result.output
    assert "expected positive whole numbers" in text


def test_bench_checkout_on_an_unreachable_database_is_a_message(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/x"
    out = tmp_path / "out.json"
    result, text = run(
        "bench", "checkout", "--database-url", url, "--clients", "1", "--json", str(out)
    )
    assert result.exit_code == 1, result.output
    assert (
        "error: the checkout bench on postgresql+psycopg://nobody:***@127.0.0.1:1/x failed" in text
    )
    assert "secret" not in text
    assert isinstance(result.exception, SystemExit)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "0"], "--events"),
        (["--events", "-5"], "--events"),
        (["--events", "100"], "100 is too few: 30 micro-batches x 20 days x 2 types need 1200"),
        (["--days", "0"], "--days"),
        (["--days", "-1"], "--days"),
        (["--batches", "3"], "at least 4 micro-batches"),
        (["--batches", "-4"], "--batches"),
        (["--repeats", "0"], "--repeats"),
        (["--target-mb", "0"], "--target-mb"),
    ],
)
def test_bench_compact_refuses_sizes_it_cannot_build_before_spark_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "out.json"
    result, text = run("bench", "compact", *args, "--json", str(out))
    assert result.exit_code == 2, result.output
    assert message in text
    assert not (tmp_path / "state").exists()  # no bronze built, no Spark started
    assert not out.exists()


def test_bench_compact_refuses_an_unwritable_json_path_before_spark_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "state"))
    result, text = run("bench", "compact", "--json", str(tmp_path / "nowhere" / "out.json"))
    assert result.exit_code == 2, result.output
    assert "--json" in text and "is not an existing directory" in text
    assert not (tmp_path / "state").exists()
