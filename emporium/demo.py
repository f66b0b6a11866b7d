"""The demo: every step that turns the data directory into a running shop, in order.

Each capability adds its step here; ``emporium demo`` runs them all, then serves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from commerce.adapters.db import upgrade
from emporium import steps
from emporium.catalog_loader import load_online_retail_shop
from emporium.engines import unit_of_work_factory
from emporium.settings import Settings

Echo = Callable[[str], None]


def _migrate(settings: Settings) -> str:
    upgrade(settings.database_url)
    return "schema migrated"


def _load_catalog(settings: Settings) -> str:
    with unit_of_work_factory(settings.database_url) as uow_factory:
        report = load_online_retail_shop(settings.data_dir, uow_factory)
    return f"Online Retail: {report}"


def _train_fraud_model(settings: Settings) -> str:
    from commerce.service_layer.fraud import train_anomaly_model

    with unit_of_work_factory(settings.database_url) as uow_factory:
        rows = train_anomaly_model(uow_factory, settings.fraud_model_path)
    return f"anomaly model trained on {rows} orders -> {settings.fraud_model_path}"


def _replay_events(settings: Settings) -> str:
    marker = settings.state_path / "demo" / "online-retail.replayed"
    if marker.exists():
        return "already in the event log"
    published = steps.replay(settings, "online-retail")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(published))
    return f"published {published}"


def _ingest(settings: Settings) -> str:
    steps.ingest(settings)
    return f"bronze lake at {settings.lake_path}"


def _batch(settings: Settings) -> str:
    return f"rows per table {steps.batch(settings)}"


def _train(settings: Settings) -> str:
    outcome = steps.train(settings)
    return f"{'kept' if outcome.get('skipped') else 'registered'} {outcome}"


def _index_search(settings: Settings) -> str:
    report = steps.reindex(settings)
    return f"{report['documents']} products searchable in {report['index']}"


STEPS: list[tuple[str, Callable[[Settings], str]]] = [
    ("migrate the database", _migrate),
    ("load the Online Retail shop", _load_catalog),
    ("train the fraud anomaly model on the order history", _train_fraud_model),
    ("replay Online Retail into the event log", _replay_events),
    ("ingest events into the bronze lake (Spark)", _ingest),
    ("build silver and gold tables (Spark)", _batch),
    ("train a recommender on the gold interactions, gate it (MLflow)", _train),
    ("index the catalog for search", _index_search),
]


def prepare_demo(settings: Settings, echo: Echo = print) -> None:
    """Run every demo step against ``settings`` (embedded engines by default)."""
    settings.state_path.mkdir(parents=True, exist_ok=True)
    for title, step in STEPS:
        started = time.perf_counter()
        outcome = step(settings)
        echo(f"demo: {title}: {outcome} ({time.perf_counter() - started:.1f}s)")


# Not 58443, where `emporium services up` runs its sandbox: both may run at once.
SANDBOX_PORT = 58444


def start_companions(settings: Settings, echo: Echo = print) -> list[subprocess.Popen[bytes]]:
    """Start the payments sandbox and the worker beside the API; stop them with ``stop_all``.

    Sets ``settings.payments`` to the sandbox so checkout can take test cards.
    """
    sandbox_dir = settings.state_path / "payments-sandbox"
    python = sys.executable
    sandbox = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [python, "-m", "commerce.adapters.payments.sandbox_server", "--host", "127.0.0.1",
         "--port", str(SANDBOX_PORT), "--state-dir", str(sandbox_dir)],
        start_new_session=True,
    )  # fmt: skip
    settings.payments.url = f"https://127.0.0.1:{SANDBOX_PORT}"
    settings.payments.ca_file = sandbox_dir / "ca.pem"
    _wait_until_healthy(settings, sandbox, timeout_s=30)
    env = {**os.environ, "EMPORIUM_STATE_DIR": str(settings.state_path),
           "EMPORIUM_PAYMENTS__URL": settings.payments.url,
           "EMPORIUM_PAYMENTS__CA_FILE": str(settings.payments.ca_file)}  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603
        [python, "-m", "emporium.cli", "worker"], env=env, start_new_session=True
    )
    echo(f"demo: payments sandbox on {settings.payments.url} (test card 4242 4242 4242 4242); "
         "worker relaying the outbox")  # fmt: skip
    return [sandbox, worker]


def _wait_until_healthy(
    settings: Settings, process: subprocess.Popen[bytes], timeout_s: float
) -> None:
    """Poll the sandbox over verified TLS until it answers; fail clearly if it never does."""
    from commerce.adapters.payments.sandbox_client import SandboxPaymentProvider

    deadline = time.monotonic() + timeout_s
    ca_file = settings.payments_ca_file
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the payments sandbox exited (is port {SANDBOX_PORT} in use?)")
        if ca_file.is_file():
            provider = SandboxPaymentProvider(settings.payments.url, ca_file)
            try:
                if provider.health().get("healthy"):
                    return
            finally:
                provider.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the payments sandbox did not answer within {timeout_s:.0f}s")
        time.sleep(0.3)


def stop_all(processes: list[subprocess.Popen[bytes]], timeout_s: float = 10.0) -> None:
    """SIGTERM each process group still running; SIGKILL those not gone within ``timeout_s``."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
