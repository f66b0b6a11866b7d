"""A model registry that answers some requests and then, on the test's word, stops answering.

``RegistryProxy`` passes the API's GET requests on to the real MLflow tracking server until
``stall(part)``; from then on a request whose path contains ``part`` is accepted and never
answered (what a server that dies, or an artifact store that hangs, looks like to a client),
while the others are still passed on. Registering goes to the real server directly.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mlflow
import pandas as pd
from test_recommendations_api import blocks

from models.tracking.runs import configure
from models.training import train_and_register


class RegistryProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.target = target.rstrip("/")
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.stalled: list[str] = []  # the paths accepted and left unanswered
        self._part: str | None = None
        self._closing = threading.Event()
        threading.Thread(target=self.serve_forever, name="registry-proxy", daemon=True).start()

    def stall(self, part: str) -> None:
        """Leave every request whose path contains ``part`` unanswered from now on."""
        self._part = part

    def answer_again(self) -> None:
        self._part = None

    def stalls(self, path: str) -> bool:
        return self._part is not None and self._part in path

    def hold(self) -> None:
        self._closing.wait()

    def close(self) -> None:
        self._closing.set()
        self.shutdown()
        self.server_close()


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open, as MLflow's pooled session does
    server: RegistryProxy

    def do_GET(self) -> None:
        if self.server.stalls(self.path):
            self.server.stalled.append(self.path)
            self.server.hold()
            self.close_connection = True
            return
        try:
            with urllib.request.urlopen(self.server.target + self.path, timeout=30) as got:
                status, kind, body = got.status, got.headers.get("Content-Type"), got.read()
        except urllib.error.HTTPError as e:
            status, kind, body = e.code, e.headers.get("Content-Type"), e.read()
        self.send_response(status)
        self.send_header("Content-Type", kind or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the test reads none
        pass


@contextmanager
def mlflow_left_alone() -> Iterator[None]:
    """Put MLflow's process-wide tracking and registry URIs back afterwards, as a serving
    process that trains nothing would have them."""
    tracking, registry = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    try:
        yield
    finally:
        mlflow.set_tracking_uri(tracking)
        mlflow.set_registry_uri(registry)


def register_champion(server_url: str, name: str, l2: float) -> str:
    """Fit EASE on ``blocks()``, register it on the server as ``name`` and make it champion."""
    test = pd.DataFrame({"user_id": [1, 7], "item_id": [11, 21]})
    with mlflow_left_alone():
        configure(server_url, "emporium-test")
        out = train_and_register("ease", {"l2": l2}, blocks(), test, name, "test", "ndcg@10", -1)
    assert out.decision.promoted, out.decision.reason
    return out.version
