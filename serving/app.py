"""The FastAPI app factory. Engines are built in the lifespan, never at import time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce.domain.text import has_nul
from serving.analytics import BackgroundPublisher
from serving.container import AppContainer
from serving.errors import error_response, install_error_handlers
from serving.routers import (
    account,
    admin_inventory,
    admin_orders,
    admin_products,
    auth,
    cart,
    checkout,
    events,
    health,
    orders,
    products,
    recommendations,
    reviews,
    search,
    webhooks,
)

ROUTERS = (
    health, products, search, recommendations, auth, account, cart, checkout, orders, reviews,
    events, webhooks, admin_products, admin_inventory, admin_orders,
)  # fmt: skip

MAX_BODY_BYTES = 1 << 20  # 1 MiB: no legitimate request of this API is larger


def create_app(build_container: Callable[[], AppContainer]) -> FastAPI:
    """Build the API; ``build_container`` is called once, when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = build_container()
        container.start()
        app.state.container = container
        app.state.analytics = BackgroundPublisher(container.event_bus, container.clickstream_topic)
        try:
            yield
        finally:
            app.state.analytics.close()
            container.close()

    app = FastAPI(title="emporium", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    # Inside the request-context middleware: its receive runs in a task group, which would
    # wrap the 413 in an exception group.
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.middleware("http")(_request_context)
    for module in ROUTERS:
        app.include_router(module.router)
    return app


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Stamp a request id (events carry it); refuse oversize bodies and NUL-bearing URLs."""
    length = request.headers.get("content-length")
    if length is not None and not (length.isascii() and length.isdigit()):
        return error_response(400, "bad_request", "Content-Length must be a whole number")
    if length is not None and int(length) > MAX_BODY_BYTES:
        return error_response(
            413, "payload_too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes"
        )
    if nul := _nul_in_url(request):
        return error_response(422, "validation_error", "the request is not valid", [nul])
    supplied = request.headers.get("x-request-id", "")
    request_id = supplied if 0 < len(supplied) <= 64 and supplied.isprintable() else ""
    request.state.request_id = request_id or uuid.uuid4().hex
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    return response


class BodyLimit:
    """Counts the body as it arrives, so a body sent without ``Content-Length`` (chunked) is
    cut off at ``limit`` bytes too: reading past it raises a 413 in the route, whose error
    handler answers it; nothing past the limit is buffered."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"request bodies are limited to {self.limit} bytes")
            return message

        await self.app(scope, limited, send)


def _nul_in_url(request: Request) -> dict[str, object] | None:
    """A validation detail when the path or query holds a NUL character (``%00``): no id or
    filter has one, and PostgreSQL cannot even compare text with one."""
    if has_nul(request.scope["path"]):
        where = "path"
    elif has_nul(request.query_params.multi_items()):
        where = "query"
    else:
        return None
    return {"loc": [where], "msg": "NUL characters are not allowed", "type": "nul_character"}
