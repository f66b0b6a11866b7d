"""The registered champion recommender, as the API serves it.

Loaded from the MLflow registry on first use, and loaded again when the ``champion`` alias
moves to another version (checked at most every ``ttl`` seconds), so a promotion or a
rollback reaches a running API without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from emporium.settings import Settings

if TYPE_CHECKING:  # pandas and scipy come with it: imported once there is a champion to load
    from models.serving import RecommendationService

log = logging.getLogger(__name__)
DEFAULT_NAME = "emporium-recommender"


def registry_client(settings: Settings) -> Any:
    """Point MLflow at the configured tracking URI and return a registry client."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    from models.tracking.runs import configure

    settings.state_path.mkdir(parents=True, exist_ok=True)
    configure(
        settings.mlflow_tracking_uri, settings.mlflow.experiment, settings.mlflow_artifact_root
    )
    return MlflowClient()


class Champion:
    """``get()``: the champion's ``RecommendationService``, or None while there is none.

    Parameters
    ----------
    settings : Settings
        Where the tracking server / store is.
    name : str
        The registered model name.
    ttl : float
        Seconds between two looks at the registry.
    """

    def __init__(self, settings: Settings, name: str = DEFAULT_NAME, ttl: float = 60.0) -> None:
        self.settings, self.name, self.ttl = settings, name, ttl
        self._service: RecommendationService | None = None
        self._client: Any = None  # MLflow is configured once, on the first look
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def get(self) -> RecommendationService | None:
        """The champion, looking at the registry if ``ttl`` has passed.

        One request looks (and loads a new version, which takes seconds for a ranker); the
        others meanwhile get the version already loaded instead of waiting behind it. Only
        while nothing is loaded yet do they wait."""
        if time.monotonic() - self._checked < self.ttl:
            return self._service
        if not self._lock.acquire(blocking=self._service is None):
            return self._service  # another request is looking
        try:
            if time.monotonic() - self._checked < self.ttl:  # it looked while this one waited
                return self._service
            try:
                self._service = self._refresh()
            except Exception:  # the registry is down: keep serving what is loaded
                log.exception("could not look up the champion of %s", self.name)
            self._checked = time.monotonic()
            return self._service
        finally:
            self._lock.release()

    def warm_up_in_background(self) -> threading.Thread:
        """Load the champion now, off the caller's thread, so the first request need not."""
        thread = threading.Thread(target=self.get, name="champion-warm-up", daemon=True)
        thread.start()
        return thread

    def _refresh(self) -> RecommendationService | None:
        from models.serving import RecommendationService
        from models.tracking.promotion import champion_version, load_champion

        if self._client is None:
            self._client = registry_client(self.settings)
        version = champion_version(self._client, self.name)
        if version is None:
            return None
        if self._service is not None and self._service.version == version:
            return self._service
        model = load_champion(self.name).unwrap_python_model().model
        log.info("serving %s version %s", self.name, version)
        return RecommendationService(model, version)
