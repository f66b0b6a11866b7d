"""Processes we start: pid files, process groups, ports and logs (Linux /proc based).

Every engine is started in a new session, so its pid is also its process-group id and
stopping the group reaches the children it forked (postgres backends, uvicorn workers).
A pid file records the pid and the kernel's start time of that process, so a pid that
the kernel has since handed to someone else is never signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
MAX_LOG_BYTES = 20 << 20  # a log this big is moved to <name>.log.1 when its engine starts


@dataclass(frozen=True)
class PidRecord:
    """What we know of a process we started: its pid (= pgid) and kernel start time."""

    pid: int
    start_ticks: int


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rfind(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_alive(pid: int) -> bool:
    """True for a running process; a zombie (already exited, not reaped) counts as dead."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def _live_processes() -> dict[int, list[str]]:
    """Every live process's stat fields, by pid."""
    table = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[0] != "Z":
                table[int(entry.name)] = fields
    return table


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid``."""
    return [pid for pid, fields in _live_processes().items() if int(fields[2]) == pgid]


def family(pgid: int) -> dict[int, int]:
    """Our group plus all descendants of its members, as pid -> start ticks.

    PostgreSQL's children call setsid(), so they leave the group we started; following
    parent links still finds them.
    """
    table = _live_processes()
    found = {pid for pid, fields in table.items() if int(fields[2]) == pgid}
    grew = True
    while grew:
        children = {pid for pid, fields in table.items() if int(fields[1]) in found}
        grew = not children <= found
        found |= children
    return {pid: int(table[pid][19]) for pid in found}


def _still_running(processes: dict[int, int]) -> dict[int, int]:
    """The subset of ``processes`` still alive with the same start time (not reused)."""
    return {pid: t for pid, t in processes.items() if is_alive(pid) and start_ticks(pid) == t}


def write_pid(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"pid": pid, "start_ticks": start_ticks(pid) or 0}
    path.write_text(json.dumps(record) + "\n")


def read_pid(path: Path) -> PidRecord | None:
    try:
        data = json.loads(path.read_text())
        return PidRecord(int(data["pid"]), int(data["start_ticks"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def owned_group(path: Path) -> int | None:
    """The process group recorded in ``path`` if it still holds processes of ours."""
    record = read_pid(path)
    if record is None:
        return None
    ticks = start_ticks(record.pid)
    if ticks is not None and is_alive(record.pid):
        # A live leader with another start time is a stranger that inherited the pid.
        return record.pid if ticks == record.start_ticks else None
    # Leader gone: Linux never reuses a pid as a pgid while the group has members.
    return record.pid if group_members(record.pid) else None


def spawn(
    argv: Sequence[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached in its own session, stdin closed, output appended to a log
    (which is first rotated, if it grew past MAX_LOG_BYTES)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    rotate_log(log_path)
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - argv built by the engine modules
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            start_new_session=True,
        )


def rotate_log(log_path: Path, max_bytes: int = MAX_LOG_BYTES) -> bool:
    """Move a log past ``max_bytes`` to ``<name>.1`` (replacing the previous one); True if moved."""
    try:
        if log_path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    log_path.replace(log_path.with_name(log_path.name + ".1"))
    return True


def kill_group(pgid: int, sig: signal.Signals, term_wait: float = 20.0) -> bool:
    """Send ``sig`` to the group, then SIGKILL whatever of its family is left.

    The family (group and descendants) is taken before signalling; after ``term_wait``
    seconds SIGKILL goes to those same processes, then to the family as it is then (members
    forked during the wait). Returns True when none remains.
    """
    targets = family(pgid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
    if wait_until(lambda: not _still_running(targets), term_wait, interval=0.2):
        return True
    for pid in _still_running(targets):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # What the family started during the wait (a shell loop's next child) is ours too: a
    # process group id is not reused while the group has members.
    late = family(pgid)
    for pid in late:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return wait_until(lambda: not _still_running(targets | late), 5.0, interval=0.1)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether we could listen on ``host:port`` now (a wildcard listener also blocks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_owner(port: int) -> str:
    """A human description of who listens on ``port`` (best effort, via ``ss``)."""
    try:
        out = subprocess.run(  # noqa: S603
            [shutil.which("ss") or "/usr/bin/ss", "-Hltnp", f"sport = :{port}"],
            capture_output=True,
            text=True,
            timeout=5,
            stdin=subprocess.DEVNULL,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    owners = re.findall(r'\("([^"]*)",pid=(\d+)', out)
    if owners:
        return ", ".join(f"{name} (pid {pid})" for name, pid in dict.fromkeys(owners))
    return "another process"


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, or a note that there is none."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")


def _covered(spec: str, port: int) -> bool:
    for part in filter(None, spec.strip().split(",")):
        low, _, high = part.partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def reserve_ports(ports: Sequence[int], path: Path = RESERVED_PORTS) -> bool:
    """Keep the kernel from handing our fixed ports out as ephemeral client ports.

    They all lie in Linux's ephemeral range (32768-60999), so a client connection (a Kafka
    client talking to the broker, say) can sit on 127.0.0.1:59200 and make the search node
    fail to bind. Needs root; returns False when the setting could not be changed.
    """
    try:
        current = path.read_text().strip()
        missing = [str(port) for port in ports if not _covered(current, port)]
        if missing:
            path.write_text(",".join(filter(None, [current, *missing])) + "\n")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def exclusive(lock_path: Path, timeout: float, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive lock so two `up`/`down` runs never race for the same engines.

    Waits at most ``timeout`` seconds (calling ``on_wait`` once), then raises TimeoutError.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        if not _try_lock(handle.fileno()):
            on_wait()
            if not wait_until(lambda: _try_lock(handle.fileno()), timeout, interval=1.0):
                raise TimeoutError(f"{lock_path} still held after {timeout:.0f}s")
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
