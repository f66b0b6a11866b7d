"""Error paths of `emporium services`: each gives a clear message and never hangs."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from emporium.services import ServiceContext
from emporium.services.base import Health, Launch, ManagedService
from emporium.services.errors import (
    InstallError,
    JavaNotFoundError,
    MissingBinaryError,
    NotHealthyError,
    PortInUseError,
)
from emporium.services.install import Installer, find_java, run_bounded
from emporium.services.redis import RedisService
from emporium.services.registry import REGISTRY


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(tmp_path / "services", Installer(allow_install=False), print)


@pytest.fixture
def foreign_listener() -> Iterator[int]:
    """A port held by a process emporium did not start (this test process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_held_by_a_foreign_process_is_refused_clearly(ctx, foreign_listener):
    class BusyRedis(RedisService):
        port = foreign_listener

    with pytest.raises(PortInUseError) as caught:
        BusyRedis(ctx).up()
    message = str(caught.value)
    assert f"127.0.0.1:{foreign_listener}" in message and "did not start" in message
    assert caught.value.code == "port_in_use"


def test_missing_binary_names_the_debian_package(ctx):
    with pytest.raises(MissingBinaryError, match=r"apt-get install -y redis-server"):
        ctx.installer.ensure_apt("redis", ["redis-server"], "/nonexistent/bin/redis-server")


def _fake_jdk(root: Path, version: str, javac: bool = True) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "java").touch()
    if javac:
        (root / "bin" / "javac").touch()
    (root / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return root


def test_missing_java_is_reported_with_how_to_get_it(tmp_path: Path):
    old = _fake_jdk(tmp_path / "jdk11", "11.0.2")
    installer = Installer(allow_install=False, java_candidates=[old, tmp_path / "none"])
    with pytest.raises(JavaNotFoundError, match="openjdk-17-jdk-headless") as caught:
        installer.java("kafka", minimum=17)
    assert caught.value.code == "java_not_found"


def test_java_lookup_skips_too_old_and_javac_less_homes(tmp_path: Path):
    old = _fake_jdk(tmp_path / "jdk11", "11.0.2")
    jre = _fake_jdk(tmp_path / "jre17", "17.0.15", javac=False)
    jdk = _fake_jdk(tmp_path / "jdk21", "21.0.4")
    assert find_java(17, need_javac=False, candidates=[old, jre, jdk]).home == jre
    found = find_java(17, need_javac=True, candidates=[old, jre, jdk])
    assert found.home == jdk and found.major == 21


def test_failed_install_command_shows_its_output():
    with pytest.raises(InstallError, match=r"exit 3[\s\S]*no such package"):
        run_bounded(["sh", "-c", "echo no such package >&2; exit 3"], "redis", timeout=10)


def test_install_command_that_hangs_is_cut_off():
    with pytest.raises(InstallError, match="did not finish in 1s"):
        run_bounded(["sleep", "30"], "kafka", timeout=1)


class ScriptService(ManagedService):
    """An 'engine' that is a shell script and never becomes healthy."""

    name = "script"
    port = 0
    start_timeout = 2.0
    stop_timeout = 2.0
    script = "echo started; sleep 30"

    @property
    def url(self) -> str:
        return "script://"

    def install(self) -> None:
        pass

    def check_ports(self) -> None:
        pass

    def prepare(self) -> Launch:
        return Launch(["sh", "-c", self.script])

    def health(self) -> Health:
        return Health(False, detail="never")


def test_engine_that_never_gets_healthy_times_out_with_its_log_tail(ctx):
    service = ScriptService(ctx)
    try:
        with pytest.raises(
            NotHealthyError, match=r"not healthy after 2s[\s\S]*down --only script[\s\S]*started"
        ):
            service.up()
    finally:
        service.stop()
    assert service.running_group() is None


def test_engine_that_exits_during_start_up_fails_fast_with_its_log(ctx):
    class Crashing(ScriptService):
        start_timeout = 60.0
        script = "echo fatal: bad config; exit 3"

    with pytest.raises(NotHealthyError, match=r"exited during start-up[\s\S]*fatal: bad config"):
        Crashing(ctx).up()


def test_status_exits_non_zero_when_an_engine_is_unhealthy(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from emporium.cli_services import app
    from emporium.services.registry import REGISTRY

    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    monkeypatch.setitem(REGISTRY, "script", ScriptService)
    result = CliRunner().invoke(app, ["status", "--json", "--only", "script"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["script"] == {
        "healthy": False,
        "url": "script://",
        "pid": None,
        "version": None,
        "port": 0,
        "detail": "never",
    }


def test_down_is_safe_when_nothing_of_ours_runs(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from emporium.cli_services import app

    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["down"])
    assert result.exit_code == 0
    assert result.stdout.count("not running") == len(REGISTRY)


def test_java_newer_than_an_engine_supports_is_skipped(tmp_path: Path):
    new = _fake_jdk(tmp_path / "jdk25", "25.0.3")
    old = _fake_jdk(tmp_path / "jdk17", "17.0.15")
    assert find_java(17, need_javac=True, candidates=[new, old], maximum=21).home == old
    assert find_java(17, need_javac=True, candidates=[new], maximum=21) is None


def test_a_failing_set_up_after_start_is_reported_not_a_traceback(ctx):
    class Healthy(ScriptService):
        def health(self) -> Health:
            return Health(True, version="1")

        def after_start(self) -> None:
            raise ConnectionResetError("topic creation refused")

    service = Healthy(ctx)
    try:
        with pytest.raises(NotHealthyError, match=r"set-up after start failed.*topic creation"):
            service.up()
    finally:
        service.stop()
