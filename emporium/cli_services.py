"""`emporium services`: Install, start, stop and check the real engines on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from emporium.services import REGISTRY, ServiceContext, ServiceError, build, process, resolve
from emporium.services.base import ManagedService, UpResult
from emporium.services.envfiles import write_env_files
from emporium.services.install import Installer
from emporium.services.registry import bring_up, with_dependents
from emporium.settings import get_settings

app = typer.Typer(
    help="Install, start, stop and check the real engines on 127.0.0.1.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

OnlyOption = Annotated[
    list[str] | None,
    typer.Option("--only", help="Engine to act on (repeatable); its prerequisites come along."),
]


def _echo(message: str) -> None:
    typer.echo(message, err=True)


def _services(
    only: list[str] | None, allow_install: bool = True, for_stop: bool = False
) -> list[ManagedService]:
    try:
        names = resolve(only)
    except KeyError as exc:
        raise typer.BadParameter(f"unknown engine {exc.args[0]!r}", param_hint="--only") from exc
    if for_stop:
        # Stopping an engine also stops what needs it (MLflow without PostgreSQL is useless),
        # but not its prerequisites.
        names = with_dependents(only or names)
    settings = get_settings()
    installer = Installer(allow_install=allow_install, echo=_echo)
    topics = (settings.events.clickstream_topic, settings.events.commerce_topic)
    ctx = ServiceContext(settings.state_path / "services", installer, _echo, topics=topics)
    return build(ctx, names)


def _report(result: UpResult) -> None:
    if result.already_running:
        typer.echo(f"{result.name}: already running ({result.version})")
    else:
        typer.echo(
            f"{result.name}: healthy ({result.version}) - install/check "
            f"{result.install_seconds:.1f}s, start {result.start_seconds:.1f}s"
        )


def _report_error(exc: ServiceError) -> None:
    typer.echo(f"ERROR [{exc.code}] {exc}", err=True)


LOCK_TIMEOUT = 900.0


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """One `up` or `down` at a time per state dir; a second one waits (bounded)."""

    def waiting() -> None:
        typer.echo("waiting for another `emporium services` command to finish ...", err=True)

    try:
        with process.exclusive(state_dir / "services.lock", LOCK_TIMEOUT, waiting):
            yield
    except TimeoutError as exc:
        typer.echo(f"ERROR [lock_timeout] {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def up(
    only: OnlyOption = None,
    install: Annotated[
        bool, typer.Option("--install/--no-install", help="Install what is missing.")
    ] = True,
) -> None:
    """Install what is missing, start the engines in order and wait until each is healthy."""
    services = _services(only, allow_install=install)
    ports = [port for cls in REGISTRY.values() for port in (cls.port, *cls.extra_ports) if port]
    if not process.reserve_ports(ports):
        typer.echo(
            "note: could not reserve the engine ports (needs root); a client "
            "connection may occasionally take one",
            err=True,
        )
    with _locked(services[0].ctx.state_dir):
        ok = bring_up(services, _report, _report_error)
    if not ok:
        raise typer.Exit(1)
    everything = _services(None)
    running = [service for service in everything if service.health().healthy]
    for path in write_env_files(services[0].ctx.state_dir, running):
        typer.echo(f"wrote {path}")


@app.command()
def down(only: OnlyOption = None) -> None:
    """Stop exactly the processes `up` started (reverse order). Safe when nothing runs."""
    services = _services(only, for_stop=True)
    with _locked(services[0].ctx.state_dir):
        failed, stopped = _stop_all(services)
    asked = set(only or ())
    also = [name for name in stopped if only and name not in asked]
    if also:  # `up --only` starts prerequisites, not dependents: say how to get them back
        typer.echo(
            f"also stopped, as they need {', '.join(sorted(asked))}: {', '.join(also)}; "
            f"`emporium services up --only {' --only '.join([*sorted(asked), *also])}` "
            "starts them all again"
        )
    if failed:
        raise typer.Exit(1)


def _stop_all(services: list[ManagedService]) -> tuple[bool, list[str]]:
    """Stop in reverse start order; whether any engine could not be stopped, and the names
    of those that were running and are stopped now."""
    failed, stopped_names = False, []
    for service in reversed(services):
        began = time.monotonic()
        try:
            stopped = service.stop()
        except ServiceError as exc:
            typer.echo(f"ERROR [{exc.code}] {exc}", err=True)
            failed = True
            continue
        took = time.monotonic() - began
        typer.echo(
            f"{service.name}: stopped in {took:.1f}s" if stopped else f"{service.name}: not running"
        )
        if stopped:
            stopped_names.append(service.name)
    return failed, stopped_names[::-1]


@app.command()
def status(
    only: OnlyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Each engine's health, pid and version; exit code 1 if any is unhealthy."""
    report = {service.name: service.status() for service in _services(only)}
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        for name, entry in report.items():
            state = "healthy" if entry["healthy"] else "DOWN"
            extra = entry["version"] if entry["healthy"] else entry["detail"]
            typer.echo(f"{name:9} {state:8} {entry['url']:60} pid={entry['pid']}  {extra}")
    if not all(entry["healthy"] for entry in report.values()):
        raise typer.Exit(1)
