"""`ManagedService`: the common life cycle of an engine we install, start, check and stop."""

from __future__ import annotations

import os
import signal
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from emporium.services import process
from emporium.services.errors import NotHealthyError, PortInUseError, ServiceError, StopError
from emporium.services.install import Installer

HOST = "127.0.0.1"


@dataclass
class Health:
    """One health check: healthy or not, the version that answered, and why not."""

    healthy: bool
    version: str | None = None
    detail: str = ""


@dataclass
class Launch:
    """How to start an engine's main process."""

    argv: list[str]
    env: dict[str, str] | None = None
    cwd: Path | None = None
    user: str | None = None


@dataclass
class ServiceContext:
    """What every engine shares: the state directory, the installer and the console."""

    state_dir: Path
    installer: Installer = field(default_factory=Installer)
    echo: Callable[[str], None] = print
    python: Path = field(default_factory=lambda: Path(sys.executable))
    #: Event topics the platform is configured to use, created beside the default ones.
    topics: tuple[str, ...] = ()


@dataclass
class UpResult:
    name: str
    already_running: bool
    install_seconds: float
    start_seconds: float
    version: str | None


class ManagedService(ABC):
    """An engine on a fixed loopback port, started detached and tracked by a pid file."""

    name: ClassVar[str]
    port: ClassVar[int]
    extra_ports: ClassVar[tuple[int, ...]] = ()
    depends_on: ClassVar[tuple[str, ...]] = ()
    start_timeout: ClassVar[float] = 60.0
    stop_timeout: ClassVar[float] = 20.0
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._began = self._installed = time.monotonic()

    # --- what each engine provides -------------------------------------------------------

    @property
    @abstractmethod
    def url(self) -> str:
        """The URL clients (and test.env) use to reach this engine."""

    @abstractmethod
    def install(self) -> None:
        """Install binaries or fetch jars when missing (fast when already there)."""

    @abstractmethod
    def prepare(self) -> Launch:
        """Write config, initialise storage, and say how to start the main process."""

    @abstractmethod
    def health(self) -> Health:
        """A quick (few seconds at most) check that the engine serves requests."""

    def ready(self) -> bool:
        """Whether ``after_start`` may run; defaults to the health check."""
        return self.health().healthy

    def after_start(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Create roles, databases or topics once the engine answers (idempotent)."""

    # --- shared machinery ----------------------------------------------------------------

    @property
    def dir(self) -> Path:
        return self.ctx.state_dir / self.name

    @property
    def pid_file(self) -> Path:
        return self.dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / f"{self.name}.log"

    def running_group(self) -> int | None:
        """Our process group for this engine, if any of it still runs."""
        return process.owned_group(self.pid_file)

    def check_ports(self) -> None:
        """Refuse to start when a process that is not ours holds one of our ports."""
        for port in (self.port, *self.extra_ports):
            if not process.port_is_free(port, HOST):
                raise PortInUseError(self.name, port, process.port_owner(port))

    def up(self) -> UpResult:
        """Install, start and wait for health; a running healthy engine is left alone."""
        return self.launch() or self.finish()

    def launch(self) -> UpResult | None:
        """First half of `up`: install and spawn without waiting (a result if already up)."""
        if self.running_group() is not None:
            health = self.health()
            if health.healthy:
                self._set_up()  # converge: recreate a topic or database someone dropped
                return UpResult(self.name, True, 0.0, 0.0, health.version)
        self._began = time.monotonic()
        if self.running_group() is None:
            self.pid_file.unlink(missing_ok=True)
            self.check_ports()
            self.install()
        self._installed = time.monotonic()
        if self.running_group() is None:
            launch = self.prepare()
            self.ctx.echo(f"{self.name}: starting on {HOST}:{self.port} ...")
            self._spawn(launch)
        return None

    def finish(self) -> UpResult:
        """Second half of `up`: wait until ready, run ``after_start``, confirm health."""
        self.wait_ready()
        self._set_up()
        health = self.health()
        if not health.healthy:
            raise NotHealthyError(self.name, f"{health.detail}\n{self._log_tail()}")
        install_seconds = self._installed - self._began
        start_seconds = time.monotonic() - self._installed
        return UpResult(self.name, False, install_seconds, start_seconds, health.version)

    def _set_up(self) -> None:
        try:
            self.after_start()
        except ServiceError:
            raise  # says already which engine failed and why
        except Exception as exc:  # client errors of any library: the set-up failed
            raise NotHealthyError(self.name, f"set-up after start failed: {exc!r}") from exc

    def _spawn(self, launch: Launch) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            log.write(f"\n--- emporium services: starting {self.name} ---\n".encode())
        child = process.spawn(launch.argv, self.log_file, launch.env, launch.cwd, launch.user)
        process.write_pid(self.pid_file, child.pid)

    def wait_ready(self) -> None:
        """Poll until ready; fail early if our process died, or after ``start_timeout``."""
        deadline = time.monotonic() + self.start_timeout
        while not self.ready():
            if self.running_group() is None:
                raise NotHealthyError(self.name, f"exited during start-up\n{self._log_tail()}")
            if time.monotonic() > deadline:
                raise NotHealthyError(
                    self.name,
                    f"not healthy after {self.start_timeout:.0f}s (it is left running for a "
                    f"look; `emporium services down --only {self.name}` stops it)\n"
                    f"{self._log_tail()}",
                )
            time.sleep(0.5)

    def _log_tail(self) -> str:
        return f"--- last lines of {self.log_file} ---\n{process.tail(self.log_file)}"

    def stop(self) -> bool:
        """Stop our process group (SIGTERM-like signal, then SIGKILL). False if none ran."""
        pgid = self.running_group()
        if pgid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        if not process.kill_group(pgid, self.stop_signal, self.stop_timeout):
            raise StopError(self.name, f"process group {pgid} survived SIGKILL")
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> dict[str, object]:
        """The JSON-able status of this engine."""
        health = self.health()
        return {
            "healthy": health.healthy,
            "url": self.url,
            "pid": self.running_group(),
            "version": health.version,
            "port": self.port,
            "detail": health.detail,
        }


def java_env(java_home: Path) -> dict[str, str]:
    """The environment for a JVM: ours, with JAVA_HOME pointing at the chosen Java."""
    env = dict(os.environ)
    env["JAVA_HOME"] = str(java_home)
    env["PATH"] = f"{java_home / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    return env
