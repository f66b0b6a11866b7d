"""Shell files that point tests (test.env) and the platform itself (real.env) at the engines."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from emporium.services.base import ManagedService

# Engine name -> the variable tests/conftest.py reads.
TEST_VARIABLES = {
    "postgres": "EMPORIUM_TEST_POSTGRES_URL",
    "redis": "EMPORIUM_TEST_REDIS_URL",
    "kafka": "EMPORIUM_TEST_KAFKA_URL",
    "search": "EMPORIUM_TEST_OPENSEARCH_URL",
    "mlflow": "EMPORIUM_TEST_MLFLOW_URL",
    "payments": "EMPORIUM_TEST_PAYMENTS_URL",
    "spark": "EMPORIUM_TEST_SPARK_URL",
    "mail": "EMPORIUM_TEST_SMTP_URL",
}

# Engine name -> the Settings variable the platform reads.
REAL_VARIABLES = {
    "postgres": "EMPORIUM_DATABASE__URL",
    "kafka": "EMPORIUM_EVENTS__URL",
    "search": "EMPORIUM_SEARCH__URL",
    "redis": "EMPORIUM_CACHE__URL",
    "mlflow": "EMPORIUM_MLFLOW__TRACKING_URI",
    "payments": "EMPORIUM_PAYMENTS__URL",
    "spark": "EMPORIUM_SPARK__MASTER",
    "mail": "EMPORIUM_MAIL__URL",
}


# Engine name -> (test variable, real variable) for a second value besides the URL.
CA_VARIABLES = {"payments": ("EMPORIUM_TEST_PAYMENTS_CA_FILE", "EMPORIUM_PAYMENTS__CA_FILE")}

# Engine name -> (attribute, test variable): a path only tests read (where mail arrives).
TEST_PATH_VARIABLES = {"mail": ("maildir", "EMPORIUM_TEST_SMTP_MAILDIR")}


def render(variables: Mapping[str, str], urls: Mapping[str, str]) -> str:
    lines = ["# Written by `emporium services up`; source it: `. var/services/<this file>`"]
    for engine, variable in variables.items():
        if engine in urls:
            lines.append(f"export {variable}={shlex.quote(urls[engine])}")
    return "\n".join(lines) + "\n"


def _ca_lines(services: list[ManagedService], which: int) -> str:
    lines = []
    for service in services:
        ca_file = getattr(service, "ca_file", None)
        if service.name in CA_VARIABLES and ca_file is not None:
            lines.append(f"export {CA_VARIABLES[service.name][which]}={shlex.quote(str(ca_file))}")
    return "".join(line + "\n" for line in lines)


def _test_path_lines(services: list[ManagedService]) -> str:
    lines = []
    for service in services:
        if service.name in TEST_PATH_VARIABLES:
            attribute, variable = TEST_PATH_VARIABLES[service.name]
            lines.append(f"export {variable}={shlex.quote(str(getattr(service, attribute)))}\n")
    return "".join(lines)


def write_env_files(state_dir: Path, services: list[ManagedService]) -> list[Path]:
    """Write test.env and real.env for every engine in ``services``."""
    urls = {service.name: service.url for service in services}
    state_dir.mkdir(parents=True, exist_ok=True)
    written = []
    files = (("test.env", TEST_VARIABLES), ("real.env", REAL_VARIABLES))
    for which, (file_name, variables) in enumerate(files):
        path = state_dir / file_name
        extra = _test_path_lines(services) if file_name == "test.env" else ""
        path.write_text(render(variables, urls) + _ca_lines(services, which) + extra)
        written.append(path)
    return written
