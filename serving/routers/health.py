"""``GET /health``: each configured engine's status, and whether this API can serve."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """The body lists each engine; ``status`` is "ok" when none is unhealthy, else
    "degraded". One not heard from yet (``"healthy": null, "status": "checking"``: the model
    registry or the mail server until it first answers) is not counted as unhealthy.

    The code is for a load balancer: 503 when an engine marked ``"required": true`` (the
    database, without which nothing is served) is unhealthy, else 200. Any other engine down
    costs only the requests that need it a 503 (a search engine down: search; the model
    registry: a champion already loaded, ``model_version``, keeps being served), so it never
    takes the API, and with it cart and checkout, out of rotation.

    The registry is never waited for here: a thread started with the API asks it every 15 s
    (waiting at most 2 s to connect, then to answer), and this reports its latest answer (a
    look for the champion's included). The mail server is checked the same way, on its own
    thread.
    """
    engines = request.app.state.container.health()
    healthy = all(bool(e.get("healthy")) or _checking(e) for e in engines.values())
    serving = all(bool(e.get("healthy")) or not e.get("required") for e in engines.values())
    body = {"status": "ok" if healthy else "degraded", "engines": engines}
    return JSONResponse(status_code=200 if serving else 503, content=body)


def _checking(engine: dict[str, object]) -> bool:
    """Not heard from yet: neither up nor down (a fresh API is not "degraded" for it)."""
    return engine.get("healthy") is None and engine.get("status") == "checking"
