"""Pid files, process groups and ports: we stop exactly what we started, nothing else."""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path

import pytest

from emporium.services import process


def _start(tmp_path: Path, script: str) -> int:
    child = process.spawn(["sh", "-c", script], tmp_path / "x.log")
    process.write_pid(tmp_path / "x.pid", child.pid)
    return child.pid


def test_killing_the_group_also_stops_forked_children(tmp_path: Path):
    pid = _start(tmp_path, "sleep 60 & sleep 60 & wait")
    assert process.wait_until(lambda: len(process.group_members(pid)) >= 3, 10, 0.05)
    assert process.owned_group(tmp_path / "x.pid") == pid
    assert process.kill_group(pid, signal.SIGTERM, term_wait=5)
    assert process.group_members(pid) == []
    assert process.owned_group(tmp_path / "x.pid") is None


def test_children_that_left_the_group_with_setsid_are_stopped_too(tmp_path: Path):
    # PostgreSQL's backends do this: they are in a session of their own.
    pid = _start(tmp_path, "setsid sleep 61 & setsid sleep 62 & wait")

    def both_escaped() -> bool:  # forked, and out of the group (setsid has run)
        children = set(process.family(pid)) - {pid}
        return len(children) >= 2 and not set(process.group_members(pid)) & children

    assert process.wait_until(both_escaped, 10, 0.05)
    escaped = set(process.family(pid)) - {pid}
    assert process.kill_group(pid, signal.SIGTERM, term_wait=1)
    assert not [child for child in escaped if process.is_alive(child)]


def test_a_process_ignoring_sigterm_gets_sigkill_after_the_bounded_wait(tmp_path: Path):
    pid = _start(tmp_path, "trap '' TERM; echo ready; while :; do sleep 1; done")
    assert process.wait_until(lambda: "ready" in process.tail(tmp_path / "x.log"), 10, 0.05)
    assert process.kill_group(pid, signal.SIGTERM, term_wait=0.5)
    assert process.group_members(pid) == []


def test_a_reused_pid_is_never_taken_for_ours(tmp_path: Path):
    # This test's own process stands in for a stranger that inherited a recorded pid.
    record = {"pid": os.getpid(), "start_ticks": 1}
    (tmp_path / "x.pid").write_text(json.dumps(record))
    assert process.owned_group(tmp_path / "x.pid") is None


def test_missing_or_garbled_pid_files_mean_nothing_runs(tmp_path: Path):
    assert process.owned_group(tmp_path / "absent.pid") is None
    (tmp_path / "bad.pid").write_text("not json")
    assert process.owned_group(tmp_path / "bad.pid") is None


def test_port_checks_see_a_listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not process.port_is_free(port)
    assert process.port_is_free(port)


def test_tail_keeps_the_last_lines(tmp_path: Path):
    log = tmp_path / "engine.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert process.tail(log, lines=2) == "line 98\nline 99"
    assert "no log" in process.tail(tmp_path / "missing.log")


def test_reserving_ports_merges_with_what_is_reserved_already(tmp_path: Path):
    setting = tmp_path / "ip_local_reserved_ports"
    setting.write_text("8080,59000-59100\n")
    assert process.reserve_ports([59092, 59200, 55432], setting)
    assert process.reserve_ports([59200], setting)
    assert setting.read_text().strip() == "8080,59000-59100,59200,55432"


def test_reserving_ports_reports_failure_instead_of_raising(tmp_path: Path):
    assert not process.reserve_ports([59200], tmp_path / "missing" / "setting")


def test_a_second_up_or_down_waits_for_the_lock_and_gives_up_in_bounded_time(tmp_path: Path):
    lock, waited = tmp_path / "services.lock", []
    with (
        process.exclusive(lock, 1.0, lambda: None),
        pytest.raises(TimeoutError, match="still held"),
        process.exclusive(lock, 0.5, lambda: waited.append(True)),
    ):
        pass
    assert waited == [True]
    with process.exclusive(lock, 0.5, lambda: waited.append(False)):
        pass
    assert waited == [True]


def test_a_log_past_the_limit_is_rotated_when_its_engine_starts(tmp_path: Path):
    log = tmp_path / "engine.log"
    log.write_bytes(b"old run\n" * 10)
    assert not process.rotate_log(log, max_bytes=1_000)  # small: kept, appended to
    (tmp_path / "engine.log.1").write_bytes(b"older")
    assert process.rotate_log(log, max_bytes=10)
    assert (tmp_path / "engine.log.1").read_bytes() == b"old run\n" * 10
    assert not log.exists()
    assert not process.rotate_log(tmp_path / "missing.log")
