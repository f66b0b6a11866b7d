"""``emporium worker`` in its own process until something it does is seen, as in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Generous: the worker process imports the whole stack on a busy two-core machine.
WORKER_DEADLINE_S = 120.0


def run_worker_until(done: Callable[[], bool], log: Path) -> None:
    """Run the worker (the settings reach it through the environment), its output to ``log``,
    until ``done()``, the worker exits or the deadline passes; then stop it with SIGTERM."""
    command = [sys.executable, "-m", "emporium.cli", "worker", "--expiry-interval", "0.2"]
    with open(log, "wb") as out:
        worker = subprocess.Popen(command, cwd=REPO, env=dict(os.environ), stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + WORKER_DEADLINE_S
        while not done() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
