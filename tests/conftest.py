"""Shared fixtures. Engine fixtures fail, never skip, when their engine is not configured:
under ``make test`` every engine runs, and a test that silently skipped would hide that."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


def pytest_unconfigure(config: pytest.Config) -> None:
    # Some library's logging setup leaves a handler on a stream pytest captured and has closed
    # by now; py4j's threads and finalisers still log at interpreter exit, and CI ended with
    # "--- Logging error ---" tracebacks. Errors inside logging are silenced only now, when no
    # test is left whose logging could fail.
    logging.raiseExceptions = False


def _engine_url(variable: str, engine: str) -> str:
    url = os.environ.get(variable)
    if not url:
        pytest.fail(
            f"{engine} is not configured: set {variable} (run `emporium services up` and "
            f"source var/services/test.env, or use `make test`)",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _engine_url("EMPORIUM_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _engine_url("EMPORIUM_TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def kafka_url() -> str:
    return _engine_url("EMPORIUM_TEST_KAFKA_URL", "Kafka")


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    return _engine_url("EMPORIUM_TEST_OPENSEARCH_URL", "OpenSearch")


@pytest.fixture(scope="session")
def mlflow_server_url() -> str:
    return _engine_url("EMPORIUM_TEST_MLFLOW_URL", "MLflow server")


@pytest.fixture(scope="session")
def spark_cluster_url() -> str:
    return _engine_url("EMPORIUM_TEST_SPARK_URL", "Spark standalone cluster")


@pytest.fixture(scope="session")
def smtp_url() -> str:
    return _engine_url("EMPORIUM_TEST_SMTP_URL", "SMTP server (aiosmtpd)")


@pytest.fixture(scope="session")
def smtp_maildir() -> Path:
    """The Maildir the test SMTP server delivers into."""
    return Path(_engine_url("EMPORIUM_TEST_SMTP_MAILDIR", "SMTP server's Maildir"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ.get("EMPORIUM_DATA_DIR", DEFAULT_DATA_DIR))
    if not path.is_dir():
        pytest.fail(f"data directory {path} not found (set EMPORIUM_DATA_DIR)", pytrace=False)
    return path


@pytest.fixture
def unique() -> str:
    """A short random suffix so runs against a shared engine do not collide."""
    return uuid.uuid4().hex[:10]
