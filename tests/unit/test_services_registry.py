"""Start order of `emporium services up`: side by side, except where one needs another."""

from __future__ import annotations

from pathlib import Path

from emporium.services import ServiceContext
from emporium.services.base import Health, Launch, ManagedService, UpResult
from emporium.services.errors import NotHealthyError, ServiceError
from emporium.services.registry import bring_up


def _fake(name: str, journal: list[str], needs: tuple[str, ...] = (), broken: bool = False):
    class Fake(ManagedService):
        port = 0
        depends_on = needs

        @property
        def url(self) -> str:
            return f"fake://{name}"

        def install(self) -> None:
            pass

        def prepare(self) -> Launch:
            raise AssertionError("not used")

        def health(self) -> Health:
            return Health(True)

        def launch(self) -> UpResult | None:
            journal.append(f"launch {name}")
            return None

        def finish(self) -> UpResult:
            journal.append(f"finish {name}")
            if broken:
                raise NotHealthyError(name, "broken")
            return UpResult(name, False, 0.0, 0.0, "1")

    Fake.name = name
    return Fake


def _run(tmp_path: Path, specs) -> tuple[bool, list[str], list[str]]:
    journal: list[str] = []
    errors: list[str] = []
    ctx = ServiceContext(tmp_path)
    services = [_fake(name, journal, *rest)(ctx) for name, *rest in specs]

    def on_error(exc: ServiceError) -> None:
        errors.append(str(exc))

    ok = bring_up(services, lambda result: None, on_error)
    return ok, journal, errors


def test_independent_engines_start_side_by_side_and_dependents_wait(tmp_path: Path):
    ok, journal, errors = _run(tmp_path, [("db",), ("cache",), ("tracker", ("db",))])
    assert ok and not errors
    assert journal == [
        "launch db",
        "launch cache",
        "finish db",
        "launch tracker",
        "finish cache",
        "finish tracker",
    ]


def test_a_failed_prerequisite_blocks_its_dependents_but_not_the_others(tmp_path: Path):
    specs = [("db", (), True), ("cache",), ("tracker", ("db",))]
    ok, journal, errors = _run(tmp_path, specs)
    assert not ok
    assert "launch tracker" not in journal and "finish cache" in journal
    assert errors == ["db: broken", "tracker: not started: db failed"]


def test_down_only_says_which_dependents_it_stopped_and_how_to_start_them(
    tmp_path: Path, monkeypatch
) -> None:
    """`down --only kafka` also stops the worker, and `up --only kafka` does not start it:
    the outbox then backed up unnoticed."""
    from typer.testing import CliRunner

    from emporium import cli_services
    from emporium.cli import app

    journal: list[str] = []
    ctx = ServiceContext(tmp_path)
    running = {"kafka": True, "worker": True, "mlflow": False}
    services = [_fake(name, journal)(ctx) for name in running]
    for service in services:
        service.stop = lambda name=service.name: running[name]  # type: ignore[method-assign]
    monkeypatch.setattr(cli_services, "_services", lambda only, for_stop=False: services)
    result = CliRunner().invoke(app, ["services", "down", "--only", "kafka"])
    assert result.exit_code == 0, result.output
    assert "also stopped, as they need kafka: worker;" in result.output
    assert "`emporium services up --only kafka --only worker`" in result.output
