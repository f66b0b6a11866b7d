"""``emporium serve --workers N``: N API processes behind one port, sharing Redis's limits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emporium.services.process import kill_group

WORKERS = 2
LOGIN_LIMIT = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc, no extra dependency)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _workers(pid: int) -> list[int]:
    def cmdline(child: int) -> str:
        try:
            return Path(f"/proc/{child}/cmdline").read_text()
        except OSError:
            return ""

    return [c for c in _children(pid) if "multiprocessing.spawn" in cmdline(c)]


@pytest.fixture
def served(tmp_path: Path, redis_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPORIUM_")}
    env |= {
        "EMPORIUM_STATE_DIR": str(tmp_path / "var"),
        "EMPORIUM_CACHE__URL": redis_url,
        "EMPORIUM_AUTH__LOGINS_PER_ACCOUNT": str(LOGIN_LIMIT),
    }
    emporium = [sys.executable, "-m", "emporium.cli"]
    subprocess.run([*emporium, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [*emporium, "serve", "--workers", str(WORKERS), "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("no answer within 90 s:\n" + (tmp_path / "serve.log").read_text())
        yield base, server
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, as a deployment stops it; then SIGKILL whatever
    of it is left: killing only the parent would leave its workers running."""
    kill_group(server.pid, signal.SIGTERM, term_wait=30)
    server.wait(10)


def test_the_workers_serve_one_port_and_share_the_login_limit(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, server = served
    assert len(_workers(server.pid)) == WORKERS
    email = f"workers-{uuid.uuid4().hex[:8]}@example.com"
    password = "correct horse battery"
    created = httpx.post(f"{base}/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    # A new connection each time, so the workers take turns as the kernel hands them out;
    # each worker counting on its own would let up to WORKERS x LOGIN_LIMIT through.
    wrong = {"email": email, "password": "not the password"}
    codes = [httpx.post(f"{base}/auth/login", json=wrong).status_code for _ in range(8)]
    assert codes == [401] * LOGIN_LIMIT + [429] * (8 - LOGIN_LIMIT)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while any(map(_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if _running(pid)]


def test_workers_stop_when_their_parent_is_killed(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """SIGKILL leaves the parent no chance to stop its workers: they held the port (and
    340 MB each) until killed by hand."""
    _, server = served
    workers = _workers(server.pid)
    assert len(workers) == WORKERS
    server.kill()
    server.wait(10)
    assert _wait_gone(workers, 20) == []


def test_sigterm_stops_the_parent_and_every_worker(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    _, server = served
    workers = _workers(server.pid)
    assert len(workers) == WORKERS
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    assert _wait_gone(workers, 10) == []
