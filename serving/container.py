"""What the API needs from the composition root, as a Protocol (serving never imports it)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.cache import Cache
from models.serving import RecommendationService
from pipelines.events import EventBus


class AppContainer(Protocol):
    """The engines one API process uses; built lazily in the app's lifespan."""

    session_factory: sessionmaker[Session]
    cache: Cache
    event_bus: EventBus
    #: The clickstream topic's name on the bus, which client and search events go to.
    clickstream_topic: str
    search: Any
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    access_token_minutes: int
    refresh_token_days: int

    def health(self) -> dict[str, dict[str, object]]:
        """Each engine's report: ``healthy``, and ``"required": False`` on one the API keeps
        serving without (the model registry while a champion is loaded). An engine not heard
        from yet (the registry, until its first answer) says ``"healthy": None, "status":
        "checking"``."""
        ...

    def recommendations(self) -> RecommendationService | None:
        """The champion recommender, or None while no model is registered; raises
        ``models.errors.RegistryUnavailable`` while none is loaded and the registry does not
        answer (with one loaded, that one is served)."""
        ...

    def start(self) -> None:
        """Start background work (the registry's health probe); called once the container is
        built, when the API starts. ``close`` stops it."""
        ...

    def close(self) -> None: ...
