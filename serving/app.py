"""The FastAPI app factory. Engines are built in the lifespan, never at import time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from serving.container import AppContainer
from serving.errors import error_response, install_error_handlers
from serving.routers import health, products
from serving.routers import admin_inventory as commerce_admin_inventory
from serving.routers import admin_products as commerce_admin_products
from serving.routers import auth as commerce_auth
from serving.routers import cart as commerce_cart
from serving.routers import checkout as commerce_checkout
from serving.routers import orders as commerce_orders
from serving.routers import admin_orders as commerce_admin_orders
from serving.routers import reviews as commerce_reviews
from serving.routers import webhooks as commerce_webhooks

MAX_BODY_BYTES = 1 << 20  # 1 MiB: no legitimate request of this API is larger


def create_app(build_container: Callable[[], AppContainer]) -> FastAPI:
    """Build the API; ``build_container`` is called once, when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = build_container()
        app.state.container = container
        try:
            yield
        finally:
            container.close()

    app = FastAPI(title="emporium", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.middleware("http")(_request_context)
    app.include_router(health.router)
    app.include_router(products.router)
    app.include_router(commerce_auth.router)
    app.include_router(commerce_admin_products.router)
    app.include_router(commerce_admin_inventory.router)
    app.include_router(commerce_cart.router)
    app.include_router(commerce_checkout.router)
    app.include_router(commerce_orders.router)
    app.include_router(commerce_admin_orders.router)
    app.include_router(commerce_reviews.router)
    app.include_router(commerce_webhooks.router)
    return app


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Stamp a request id (events carry it) and refuse oversize bodies before reading them."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return error_response(
            413, "payload_too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes"
        )
    supplied = request.headers.get("x-request-id", "")
    request_id = supplied if 0 < len(supplied) <= 64 and supplied.isprintable() else ""
    request.state.request_id = request_id or uuid.uuid4().hex
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    return response
