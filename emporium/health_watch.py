"""An engine's health asked on a background thread, so ``GET /health`` only reads it.

A health check that talks to a server (an SMTP ``NOOP``) waits as long as that server makes
it: a mail server that accepts connections and never answers would hold every ``/health``
for its timeouts, and a load balancer whose probe gives up sooner would take the API out of
rotation for an engine it does not need. A load balancer probing every few seconds would
also open a connection to it every time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Report = dict[str, object]
CHECKING: Report = {"healthy": None, "status": "checking"}


class WatchedHealth:
    """Runs ``check`` now and then every ``every_s`` seconds on a daemon thread;
    :meth:`report` returns its latest answer (``CHECKING`` until the first one).

    Parameters
    ----------
    name : str
        The engine, for the thread's name and the log.
    check : callable
        Returns the engine's health report; an exception is reported as unhealthy.
    every_s : float
        Seconds between two checks (after the previous one has answered).
    """

    def __init__(self, name: str, check: Callable[[], Report], every_s: float = 15.0) -> None:
        self.name, self._check, self.every_s = name, check, every_s
        self._latest: Report | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-health", daemon=True)

    def start(self) -> WatchedHealth:
        """Start the thread (once); returns self."""
        if not self._thread.is_alive() and not self._stopping.is_set():
            self._thread.start()
        return self

    def stop(self) -> None:
        """End the thread after the check under way, if any."""
        self._stopping.set()

    def report(self) -> Report:
        """The latest answer, never waiting for a check under way."""
        latest = self._latest
        return dict(CHECKING) if latest is None else dict(latest)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._latest = self._check()
            except Exception as e:  # noqa: BLE001 - reported by /health, not raised
                log.warning("%s health check failed: %s", self.name, e)
                self._latest = {"healthy": False, "error": str(e) or type(e).__name__}
            self._stopping.wait(self.every_s)
