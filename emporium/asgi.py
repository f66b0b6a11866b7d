"""The API for uvicorn's worker processes (``emporium serve --workers N``): each worker calls
``create`` and builds its own engines, champion and threads from the same settings."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from fastapi import FastAPI

from emporium.cli_serve import prepared_app
from emporium.settings import get_settings

log = logging.getLogger(__name__)


def create() -> FastAPI:
    """uvicorn's app factory (``emporium.asgi:create``, with ``factory=True``)."""
    stop_with_parent()
    return prepared_app(get_settings())


def stop_with_parent(interval_s: float = 1.0) -> threading.Thread:
    """Stop this worker when the ``serve`` process that started it is gone.

    A supervisor stopped with SIGTERM stops its workers; one killed with SIGKILL (the OOM
    killer, ``kill -9``) cannot, and its workers would go on holding the port and a champion
    each. The worker then sends itself SIGTERM: uvicorn finishes the requests in flight.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        log.warning("the serve process %s is gone: this worker stops", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="stop-with-parent", daemon=True)
    thread.start()
    return thread
