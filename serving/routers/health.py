"""``GET /health``: each configured engine's status, and whether this API can serve."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """The body lists each engine; ``status`` is "ok" when every one is healthy, else
    "degraded".

    The code is for a load balancer: 503 when an engine marked ``"required": true`` (the
    database, without which nothing is served) is unhealthy, else 200. Any other engine down
    costs only the requests that need it a 503 (a search engine down: search; the model
    registry: a champion already loaded, ``model_version``, keeps being served), so it never
    takes the API, and with it cart and checkout, out of rotation.

    The registry is asked at most every 15 s (its latest answer is reused meanwhile, a look
    for the champion's included) and waited for at most 2 s to connect, then to answer.
    """
    engines = request.app.state.container.health()
    healthy = all(bool(e.get("healthy")) for e in engines.values())
    serving = all(bool(e.get("healthy")) or not e.get("required") for e in engines.values())
    body = {"status": "ok" if healthy else "degraded", "engines": engines}
    return JSONResponse(status_code=200 if serving else 503, content=body)
