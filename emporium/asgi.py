"""The API for uvicorn's worker processes (``emporium serve --workers N``): each worker calls
``create`` and builds its own engines, champion and threads from the same settings."""

from __future__ import annotations

from fastapi import FastAPI

from emporium.cli_serve import prepared_app
from emporium.settings import get_settings


def create() -> FastAPI:
    """uvicorn's app factory (``emporium.asgi:create``, with ``factory=True``)."""
    return prepared_app(get_settings())
