"""The ``champion`` alias's version, and that version's model, fetched by a process that must
answer quickly.

MLflow's client retries a tracking server that does not answer for minutes (by default 7
retries with exponential backoff, 120 s per attempt: ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``..._BACKOFF_FACTOR``, ``..._TIMEOUT``), which suits training but would hold an API request
as long. Those settings are process-wide environment variables, so instead of changing them
(and with them the retries of a training run in the same process), a server is asked here
once per request, with its own time limit, through MLflow's own request function: for the
alias, for where a version's files are, and for each of those files when the server serves
them (``mlflow-artifacts:``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.request_utils import augmented_raise_for_status
from mlflow.utils.rest_utils import http_request, verify_rest_response
from mlflow.utils.uri import validate_path_is_safe

from models.errors import RegistryUnavailable
from models.tracking.promotion import CHAMPION, NOT_FOUND

ALIAS_ENDPOINT = "/api/2.0/mlflow/registered-models/alias"
DOWNLOAD_URI_ENDPOINT = "/api/2.0/mlflow/model-versions/get-download-uri"
ARTIFACTS_ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"
CHUNK_BYTES = 1 << 20


def champion_version_within(registry_uri: str, name: str, timeout_s: float) -> str | None:
    """The version holding ``name``'s champion alias, or ``None`` while it has none.

    Parameters
    ----------
    registry_uri : str
        ``http(s)://host:port`` (a tracking server, asked once, without retries) or a local
        store such as ``sqlite:///path/mlflow.db``.
    name : str
        The registered model name.
    timeout_s : float
        The longest a server may take to accept the connection, and then to answer.

    Raises
    ------
    RegistryUnavailable
        The registry refused the connection, did not answer in time, or failed.
    """
    try:
        if _is_server(registry_uri):
            response = _ask(registry_uri, ALIAS_ENDPOINT, timeout_s, name=name, alias=CHAMPION)
            body = verify_rest_response(response, ALIAS_ENDPOINT).json()
            return str(body["model_version"]["version"])
        client = MlflowClient(tracking_uri=registry_uri, registry_uri=registry_uri)
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException as e:
        if e.error_code in NOT_FOUND:
            return None
        raise RegistryUnavailable(f"the model registry at {registry_uri} failed: {e}") from e


def load_version_within(
    registry_uri: str,
    name: str,
    version: str,
    timeout_s: float,
    tracking_uri: str | None = None,
) -> Any:
    """Version ``version`` of ``name``, loaded as an MLflow pyfunc model.

    The registry is asked where the files are, and the tracking server (when it serves them:
    ``mlflow-artifacts:``) for each file, every request once within ``timeout_s``. The files
    are downloaded to a temporary directory and loaded from there once all have arrived, so a
    server that stops answering halfway leaves nothing behind. Files the server only points
    at (a local path, a bucket) are read by MLflow's own client for that store.

    Parameters
    ----------
    registry_uri : str
        As for :func:`champion_version_within`.
    name, version : str
        The registered model and its version.
    timeout_s : float
        The longest a server may take to accept each connection, and then to send each part.
    tracking_uri : str, optional
        The tracking server or store whose runs hold the files, when the registry is kept
        elsewhere (a database registry's versions point at a tracking server's
        ``mlflow-artifacts:`` files); by default ``registry_uri``.

    Raises
    ------
    RegistryUnavailable
        The registry or the files it serves did not arrive in time, or the server failed.
    """
    with _fetching(registry_uri, name, version):
        source = _download_uri(registry_uri, name, version, timeout_s)
    served = _served_files(tracking_uri or registry_uri, source)
    if served is None:
        return mlflow.pyfunc.load_model(source)
    with tempfile.TemporaryDirectory(prefix="emporium-model-") as local:
        with _fetching(registry_uri, name, version):
            _download(*served, Path(local), timeout_s)
        return mlflow.pyfunc.load_model(local)


@contextmanager
def _fetching(registry_uri: str, name: str, version: str) -> Iterator[None]:
    """A request that failed or timed out means the registry is unavailable (the caller
    backs off); a model that fails to load from files that did arrive is another matter."""
    try:
        yield
    except (MlflowException, requests.RequestException) as e:
        raise RegistryUnavailable(
            f"could not load {name} version {version} from the model registry at "
            f"{registry_uri}: {e}"
        ) from e


def _is_server(registry_uri: str) -> bool:
    return urlparse(registry_uri).scheme in ("http", "https")


def _ask(uri: str, endpoint: str, timeout_s: float, stream: bool = False, **params: str) -> Any:
    return http_request(
        get_default_host_creds(uri),
        endpoint,
        "GET",
        max_retries=0,  # the caller backs off and asks again later
        backoff_factor=0,
        timeout=timeout_s,
        params=params or None,
        stream=stream,
    )


def _download_uri(registry_uri: str, name: str, version: str, timeout_s: float) -> str:
    if not _is_server(registry_uri):
        client = MlflowClient(tracking_uri=registry_uri, registry_uri=registry_uri)
        return str(client.get_model_version_download_uri(name, version))
    response = _ask(registry_uri, DOWNLOAD_URI_ENDPOINT, timeout_s, name=name, version=version)
    return str(verify_rest_response(response, DOWNLOAD_URI_ENDPOINT).json()["artifact_uri"])


def _served_files(tracking_uri: str, source: str) -> tuple[str, str] | None:
    """The server and the path of files a tracking server serves, else None."""
    parsed = urlparse(source)
    if parsed.scheme == "mlflow-artifacts" and _is_server(tracking_uri):
        server = urlparse(tracking_uri)
        host = f"{server.scheme}://{parsed.netloc}{server.path}" if parsed.netloc else tracking_uri
        return host, parsed.path.strip("/")
    if _is_server(source) and ARTIFACTS_ENDPOINT in source:
        host, path = source.split(ARTIFACTS_ENDPOINT, 1)
        return host, path.strip("/")
    return None


def _download(host: str, path: str, into: Path, timeout_s: float) -> None:
    """Every file under ``path`` on ``host``'s artifact store, into the directory ``into``."""
    listing = _ask(host, ARTIFACTS_ENDPOINT, timeout_s, path=path)
    for entry in verify_rest_response(listing, ARTIFACTS_ENDPOINT).json().get("files", []):
        name = validate_path_is_safe(entry["path"])
        if entry["is_dir"]:
            (into / name).mkdir(parents=True, exist_ok=True)
            _download(host, f"{path}/{name}", into / name, timeout_s)
        else:
            _save(host, f"{path}/{name}", into / name, timeout_s)


def _save(host: str, path: str, to: Path, timeout_s: float) -> None:
    # Streamed: ``timeout_s`` bounds every read, so a store that stops sending mid-file fails.
    with _ask(host, f"{ARTIFACTS_ENDPOINT}/{path}", timeout_s, stream=True) as response:
        augmented_raise_for_status(response)
        with to.open("wb") as out:
            for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
                out.write(chunk)
