"""``GET /health``: each configured engine's status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 when every engine is healthy, 503 otherwise; the body lists each engine."""
    engines = request.app.state.container.health()
    healthy = all(bool(e.get("healthy")) for e in engines.values())
    body = {"status": "ok" if healthy else "degraded", "engines": engines}
    return JSONResponse(status_code=200 if healthy else 503, content=body)
