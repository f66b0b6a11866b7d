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
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Report = dict[str, object]
CHECKING: Report = {"healthy": None, "status": "checking"}
#: A check whose answer is this much overdue is stuck (every check here bounds its own waits,
#: so this means a wait nobody bounded): ``/health`` then says so instead of repeating the
#: last answer, which would read as current forever.
STALE_AFTER_S = 60.0


def overdue(last_answer_at: float, every_s: float, stale_after_s: float) -> Report | None:
    """The unhealthy report for a check last answered at ``last_answer_at`` (monotonic
    seconds) and due every ``every_s``, once that answer is ``stale_after_s`` overdue; else
    None."""
    age = time.monotonic() - last_answer_at
    if age <= every_s + stale_after_s:
        return None
    return {"healthy": False, "error": f"the check has not answered for {age:.0f} s (stuck)"}


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
    stale_after_s : float
        How long an answer may be overdue before the check counts as stuck (unhealthy).
    """

    def __init__(
        self,
        name: str,
        check: Callable[[], Report],
        every_s: float = 15.0,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.name, self._check, self.every_s = name, check, every_s
        self.stale_after_s = stale_after_s
        self._latest: Report | None = None
        self._answered_at = time.monotonic()  # the start counts as an answer: none is due yet
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-health", daemon=True)

    def start(self) -> WatchedHealth:
        """Start the thread (once); returns self."""
        if not self._thread.is_alive() and not self._stopping.is_set():
            self._answered_at = time.monotonic()
            self._thread.start()
        return self

    def stop(self) -> None:
        """End the thread after the check under way, if any."""
        self._stopping.set()

    def report(self) -> Report:
        """The latest answer, never waiting for a check under way; unhealthy once that
        answer is ``stale_after_s`` overdue (the check is stuck)."""
        latest = self._latest
        stuck = overdue(self._answered_at, self.every_s, self.stale_after_s)
        if stuck is not None and self._thread.is_alive():
            return stuck
        return dict(CHECKING) if latest is None else dict(latest)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._latest = self._check()
            except Exception as e:  # noqa: BLE001 - reported by /health, not raised
                log.warning("%s health check failed: %s", self.name, e)
                self._latest = {"healthy": False, "error": str(e) or type(e).__name__}
            self._answered_at = time.monotonic()
            self._stopping.wait(self.every_s)
