"""Which version holds the ``champion`` alias, asked by a process that must answer quickly.

MLflow's client retries a tracking server that does not answer for minutes (by default 7
retries with exponential backoff, 120 s per attempt: ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``..._BACKOFF_FACTOR``, ``..._TIMEOUT``), which suits training but would hold an API request
as long. Those settings are process-wide environment variables, so instead of changing them
(and with them the retries of a training run in the same process), a server is asked here
once, with its own time limit, through MLflow's own request function.
"""

from __future__ import annotations

from urllib.parse import urlparse

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request, verify_rest_response

from models.errors import RegistryUnavailable
from models.tracking.promotion import CHAMPION, NOT_FOUND

ALIAS_ENDPOINT = "/api/2.0/mlflow/registered-models/alias"


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
        if urlparse(registry_uri).scheme in ("http", "https"):
            return _ask_server(registry_uri, name, timeout_s)
        client = MlflowClient(tracking_uri=registry_uri, registry_uri=registry_uri)
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException as e:
        if e.error_code in NOT_FOUND:
            return None
        raise RegistryUnavailable(f"the model registry at {registry_uri} failed: {e}") from e


def _ask_server(uri: str, name: str, timeout_s: float) -> str:
    response = http_request(
        get_default_host_creds(uri),
        ALIAS_ENDPOINT,
        "GET",
        max_retries=0,  # the caller backs off and asks again later
        backoff_factor=0,
        timeout=timeout_s,
        params={"name": name, "alias": CHAMPION},
    )
    body = verify_rest_response(response, ALIAS_ENDPOINT).json()
    return str(body["model_version"]["version"])
