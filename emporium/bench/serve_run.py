"""The serving benchmark's runner (the command is ``emporium.bench.serve``).

A champion is trained and registered in a fresh embedded state (``emporium models train``),
``emporium serve`` is started on it as a separate process on a free loopback port, exactly
as a shop runs it, and ``clients`` threads, each with its own HTTP connection, ask for
recommendations of users the model knows (and items similar to items it knows) as fast as
they can. ``in_stock=false``: the state has no catalog, so the numbers are the model's and
the API's, without the stock filter's database reads. The clients share the machine with the
server: on two cores, 32 clients measure contention as much as the server.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from emporium.bench.levels import latency_ms, run_clients
from emporium.services.process import kill_group, spawn, tail, wait_until

SEED = 7
READY_S = 180.0  # the server's start and the champion's load
BOX = "│╭╮╰╯─ "  # the frame of the CLI's error messages


class BenchFailed(RuntimeError):
    """A step of the benchmark failed; the message says which and what it printed."""


def _cli(state: Path, *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter and our own CLI
        [sys.executable, "-m", "emporium.cli", *args],
        env=_env(state), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-4:]
        text = " ".join(" ".join(line.strip(BOX).split()) for line in said).strip()
        raise BenchFailed(f"`emporium {' '.join(args)}` failed: {text}")


def _env(state: Path) -> dict[str, str]:
    """The environment of the benchmark's processes: embedded engines in ``state``."""
    keep = {"EMPORIUM_DATA_DIR"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPORIUM_") or k in keep}
    return env | {"EMPORIUM_STATE_DIR": str(state), "EMPORIUM_MODE": "dev"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(state: Path, probe: str) -> Iterator[str]:
    """``emporium serve`` over ``state``, once ``probe`` (a path) answers 200; its base URL."""
    port = _free_port()
    log_path = state / "serve.log"
    argv = [sys.executable, "-m", "emporium.cli", "serve", "--port", str(port)]
    server = spawn(argv, log_path, env=_env(state))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(server, base + probe, log_path)
        yield base
    finally:
        kill_group(server.pid, signal.SIGTERM, term_wait=30)
        server.wait(10)


def _wait_ready(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    def ready() -> bool:
        if server.poll() is not None:
            said = " | ".join(tail(log_path, 3).splitlines())
            raise BenchFailed(f"`emporium serve` exited: {said}")
        with suppress(httpx.TransportError):
            return httpx.get(url, timeout=10).status_code == 200
        return False

    if not wait_until(ready, READY_S):
        raise BenchFailed(f"{url} did not answer 200 within {READY_S:.0f} s (see {log_path})")


def prepare(state: Path, dataset: str, model: str) -> None:
    """Migrate an empty database in ``state`` and register a champion ``model`` there."""
    state.mkdir(parents=True, exist_ok=True)
    _cli(state, "db", "upgrade")
    _cli(state, "models", "train", "--dataset", dataset, "--model", model)


def run_level(
    base: str, paths: list[str], clients: int, per_client: int, endpoint: str
) -> dict[str, Any]:
    """``clients`` threads each GET ``per_client`` of ``paths`` (drawn at random) from
    ``base``; throughput, latency percentiles and the answers that were not 200."""
    latencies: list[float] = []
    failed: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        draw = random.Random(SEED + index)
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(per_client):
                path = draw.choice(paths)
                started = time.perf_counter()
                status = http.get(path).status_code
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if status != 200:
                        failed.append(status)

    elapsed = run_clients(clients, client)
    return {
        "endpoint": endpoint,
        "clients": clients,
        "requests": len(latencies),
        "not_200": len(failed),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        **latency_ms(latencies),
    }


def request_paths(users: list[Any], items: list[Any], n: int) -> dict[str, list[str]]:
    """The requests of each endpoint: a known user's recommendations, a known item's
    neighbours (``in_stock=false``: the benchmark's state has no catalog)."""
    return {
        "recommendations": [f"/recommendations/{u}?n={n}&in_stock=false" for u in users],
        "similar": [f"/products/{i}/similar?n={n}&in_stock=false" for i in items],
    }
