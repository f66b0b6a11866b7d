"""The registered champion recommender, as the API serves it.

Loaded from the MLflow registry on first use, and loaded again when the ``champion`` alias
moves to another version (checked at most every ``ttl`` seconds), so a promotion or a
rollback reaches a running API without a restart. A registry that does not answer costs a
request at most ``timeout_s`` per request made of it (MLflow's own client would retry for
minutes), whether it stops answering the look-up or the load of the version found, and is
asked again only after a backoff; meanwhile the loaded model keeps being served (a version
is swapped in only once it has loaded whole).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from emporium.health_watch import STALE_AFTER_S, overdue
from emporium.settings import Settings
from models.errors import RegistryUnavailable

if TYPE_CHECKING:  # pandas and scipy come with it: imported once there is a champion to load
    from models.serving import RecommendationService

log = logging.getLogger(__name__)
DEFAULT_NAME = "emporium-recommender"
# After a failed look the registry is left alone for 5 s, then 10, 20 ... at most 5 min (or
# ``ttl`` when longer), so a registry that is down costs one request a few seconds per period.
MIN_BACKOFF_S, MAX_BACKOFF_S = 5.0, 300.0
# /health reports what the registry last said (to a look or to the health probe). The probe
# runs on its own thread (``watch_registry``), asking again once that answer is this old, so
# load balancers probing every few seconds cost the registry one request per period and never
# wait for it; a probe waits at most HEALTH_TIMEOUT_S to connect, then to be answered.
HEALTH_MAX_AGE_S, HEALTH_TIMEOUT_S = 15.0, 2.0
LOOK_POLL_S = 0.1  # how often the probe sees whether a look under way has answered


def registry_client(settings: Settings) -> Any:
    """Point MLflow at the configured tracking and registry URIs and return a client.

    Raises
    ------
    EngineUnavailable
        If a database store cannot be reached (``MlflowException`` for a tracking server,
        after one retry and at most 10 s per request).
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    configure_stores(settings)
    return MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_registry_uri)


def configure_stores(settings: Settings) -> None:
    """Point MLflow at the settings' tracking store, experiment, artifacts and registry:
    a database store is probed first within libpq's bounds, and the first contact with a
    tracking server is quick (``quick_requests``).

    Raises
    ------
    EngineUnavailable
        If a database store cannot be reached.
    """
    from emporium.engines import require_mlflow_stores
    from models.tracking.runs import configure

    require_mlflow_stores(settings)
    settings.state_path.mkdir(parents=True, exist_ok=True)
    with quick_requests():
        configure(
            settings.mlflow_tracking_uri,
            settings.mlflow.experiment,
            settings.mlflow_artifact_root,
            registry_uri=settings.mlflow_registry_uri,
        )


@contextlib.contextmanager
def quick_requests() -> Iterator[None]:
    """One retry and a 10 s time-out while the client first reaches the tracking server (unless
    set by the user); the defaults come back afterwards, for model uploads and the rest."""
    quick = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
    added = [key for key in quick if key not in os.environ]
    os.environ.update({key: quick[key] for key in added})
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


class Champion:
    """``get()``: the champion's ``RecommendationService``, or None while there is none.

    Parameters
    ----------
    settings : Settings
        Where the registry is (``mlflow_registry_uri``), and the tracking server / store
        whose runs hold the versions' files.
    name : str
        The registered model name.
    ttl : float
        Seconds between two looks at the registry.
    timeout_s : float
        The longest a tracking server may take to connect, and then to answer each request
        of a look (the alias; for a new version, where its files are and each file).
    """

    def __init__(
        self,
        settings: Settings,
        name: str = DEFAULT_NAME,
        ttl: float = 60.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.settings, self.name, self.ttl, self.timeout_s = settings, name, ttl, timeout_s
        self._service: RecommendationService | None = None
        self._uris: tuple[str, str] | None = None  # the (tracking, registry) MLflow was set to
        self._checked = -float("inf")
        self._failures = 0
        self._backoff = 0.0  # the wait after failed looks (MIN_BACKOFF_S, doubling)
        self._unavailable: str | None = None  # why the registry did not answer the last look
        self._lock = threading.Lock()
        # The registry's latest answer to anyone: (its URI, when, why it failed or None).
        self._heard: tuple[str | None, float, str | None] = (None, -float("inf"), None)
        self._watcher: threading.Thread | None = None
        self._watch_since = -float("inf")  # when the watcher started
        self._stopping = threading.Event()
        self._nudged = threading.Event()  # the registry moved: ask it now, not at the next round

    def get(self) -> RecommendationService | None:
        """The champion, looking at the registry if ``ttl`` (and any backoff) has passed.

        One request looks (and loads a new version, which takes seconds for a ranker); the
        others meanwhile get the version already loaded instead of waiting behind it. Only
        while nothing is loaded do they wait.

        Raises
        ------
        RegistryUnavailable
            Nothing is loaded and the registry did not answer the last look.
        """
        if self._due() and self._lock.acquire(blocking=self._service is None):
            try:
                if self._due():  # nobody looked while this one waited
                    self._look()
            finally:
                self._lock.release()
        service, unavailable = self._service, self._unavailable
        if service is None and unavailable is not None:
            raise RegistryUnavailable(unavailable)
        return service

    def health(self) -> dict[str, object]:
        """The registry for ``/health``, from its latest answer (to a look or to the probe of
        :meth:`watch_registry`); never asks it, so ``/health`` never waits for it.

        ``healthy`` (it answered), ``model_version`` (the version served, or None), and
        ``error`` when unhealthy. Before the registry configured has answered anything (just
        started, or moved in the settings), ``healthy`` is None and ``status`` "checking".
        """
        uri = self.settings.mlflow_registry_uri
        heard_from, _, error = self._heard
        service = self._service
        version = service.version if service is not None else None
        stuck = self._stuck()
        if stuck is not None:
            return {**stuck, "model_version": version}
        if heard_from != uri:
            self._nudged.set()
            return {"healthy": None, "status": "checking", "model_version": version}
        report: dict[str, object] = {"healthy": error is None, "model_version": version}
        return {**report, "error": error} if error is not None else report

    def _stuck(self) -> dict[str, object] | None:
        """Unhealthy once the watcher's answer is long overdue (a wait nobody bounded)."""
        watcher = self._watcher
        if watcher is None or not watcher.is_alive():
            return None  # nobody is asking: the latest answer is as old as it says
        last = max(self._heard[1], self._watch_since)
        return overdue(last, HEALTH_MAX_AGE_S, STALE_AFTER_S)

    def watch_registry(self) -> threading.Thread:
        """Ask the registry now, then whenever its latest answer is ``HEALTH_MAX_AGE_S`` old,
        on a daemon thread, for :meth:`health`; :meth:`stop_watching` ends it."""
        if self._watcher is None:
            self._watch_since = time.monotonic()
            self._watcher = threading.Thread(
                target=self._watch, name="registry-health", daemon=True
            )
            self._watcher.start()
        return self._watcher

    def stop_watching(self) -> None:
        """End :meth:`watch_registry`'s thread (after the probe under way, if any)."""
        self._stopping.set()
        self._nudged.set()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            uri = self.settings.mlflow_registry_uri
            heard_from, heard_at, _ = self._heard
            wait = heard_at + HEALTH_MAX_AGE_S - time.monotonic() if heard_from == uri else 0.0
            if wait <= 0 and self._lock.locked():
                wait = LOOK_POLL_S  # a look under way answers for the registry: no second ask
            if wait > 0:  # a look answered lately, or the last probe did
                self._nudged.wait(wait)
                self._nudged.clear()
            else:
                self._probe(uri)

    def _probe(self, uri: str) -> None:
        from emporium.engines import sqlite_file
        from models.tracking.lookup import champion_version_within

        error = None
        store = sqlite_file(uri)
        try:
            # The embedded store is created by the first look or registration: creating it
            # here would only race them (MLflow creates its tables unguarded).
            if store is None or store.is_file():
                champion_version_within(uri, self.name, min(self.timeout_s, HEALTH_TIMEOUT_S))
        except Exception as e:  # noqa: BLE001 - reported by /health, not raised
            error = str(e) or repr(e)
        self._heard = (uri, time.monotonic(), error)

    def warm_up_in_background(self) -> threading.Thread:
        """Load the champion now, off the caller's thread, so the first request need not."""
        thread = threading.Thread(target=self._warm_up, name="champion-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm_up(self) -> None:
        with contextlib.suppress(RegistryUnavailable):  # logged by the look; requests say 503
            self.get()

    def _due(self) -> bool:
        return time.monotonic() - self._checked >= max(self.ttl, self._backoff)

    def _look(self) -> None:
        try:
            self._service = self._refresh()
        except Exception as e:  # registry down, or a version that will not load: keep serving
            self._failures += 1
            self._backoff = min(MAX_BACKOFF_S, MIN_BACKOFF_S * 2.0 ** (self._failures - 1))
            serving = self._service.version if self._service else "nothing"
            registry_down = isinstance(e, RegistryUnavailable)
            self._unavailable = str(e) if registry_down else None  # else it answered
            if registry_down:
                log.warning("%s; serving %s, asking again in %g s", e, serving, self._backoff)
            else:
                log.exception("could not look up the champion of %s", self.name)
        else:
            self._failures, self._backoff, self._unavailable = 0, 0.0, None
        self._checked = time.monotonic()
        self._heard = (self._uris[1] if self._uris else None, self._checked, self._unavailable)

    def _refresh(self) -> RecommendationService | None:
        from models.serving import RecommendationService
        from models.tracking.lookup import champion_version_within, load_version_within

        tracking, registry = self._point_mlflow()
        version = champion_version_within(registry, self.name, self.timeout_s)
        if version is None:
            return None
        if self._service is not None and self._service.version == version:
            return self._service
        loaded = load_version_within(registry, self.name, version, self.timeout_s, tracking)
        model = loaded.unwrap_python_model().model
        log.info("serving %s version %s", self.name, version)
        return RecommendationService(model, version)

    def _point_mlflow(self) -> tuple[str, str]:
        """Points MLflow (which loads ``models:/`` URIs from its current registry, and a
        version's files from its tracking store) at ours, without :func:`registry_client`'s
        experiment look-up: that one asks the server with MLflow's minutes of retries, and
        serving needs no experiment. Read on every look, so URIs moved in the settings are
        followed. Returns (tracking URI, registry URI)."""
        uris = (self.settings.mlflow_tracking_uri, self.settings.mlflow_registry_uri)
        if uris != self._uris:
            os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
            import mlflow

            self.settings.state_path.mkdir(parents=True, exist_ok=True)  # a local store's dir
            mlflow.set_tracking_uri(uris[0])
            mlflow.set_registry_uri(uris[1])
            self._uris = uris
        return uris
