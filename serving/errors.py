"""The only place where errors become HTTP responses.

Every error body has one shape: ``{"error": {"code": ..., "message": ..., "details": ...}}``.
Domain errors carry a stable ``code``; ``STATUS_BY_CODE`` maps it to a status (default 400).
Validation details never echo the rejected input: it may be a card number or a password.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from commerce.adapters.cache import CacheError
from commerce.adapters.db import error_line
from commerce.adapters.search.errors import SearchError
from commerce.domain.errors import CommerceError
from commerce.domain.payments import PaymentOutcomeUnknown
from models.errors import RegistryUnavailable
from pipelines.events.errors import EventBusError

log = logging.getLogger(__name__)

STATUS_BY_CODE: dict[str, int] = {
    "not_found": 404,
    "validation_error": 422,
    "payload_too_large": 413,
    "unauthorized": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "conflict": 409,
    "engine_unavailable": 503,
    "dataset_missing": 503,
    "no_model": 503,
    "unknown_item": 404,
    # commerce (commerce/domain/errors.py)
    "invalid_input": 422,
    "product_not_found": 404,
    "user_not_found": 404,
    "cart_not_found": 404,
    "order_not_found": 404,
    "sku_exists": 409,
    "email_taken": 409,
    "version_conflict": 409,
    "product_unavailable": 409,
    "insufficient_stock": 409,
    "illegal_transition": 409,
    "idempotency_conflict": 409,
    "idempotency_in_progress": 409,
    "idempotency_key_required": 400,
    "invalid_credentials": 401,
    "password_unchanged": 422,
    "invalid_token": 401,
    "stale_signature": 401,
    "empty_cart": 409,
    "payment_declined": 402,
    "payment_failed": 502,
    "payment_pending": 202,
    "review_exists": 409,
    "review_not_found": 404,
    "payments_unavailable": 503,
    "mail_unavailable": 503,
    "invalid_reset_token": 400,
    "tracking_number_in_use": 409,
    "account_has_open_orders": 409,
    "account_busy": 409,
    # engines that did not answer: the request may simply be tried again
    "database_unavailable": 503,
    "cache_unavailable": 503,
    "bus_unavailable": 503,
    "publish_failed": 503,
    "commit_failed": 503,
    "search_unavailable": 503,
    "registry_unavailable": 503,
    "invalid_event": 422,
}

#: What a client is told when an engine is down: never its URL nor the driver's words.
UNAVAILABLE_MESSAGES = {
    "database_unavailable": "the database is not answering; try again later",
    "cache_unavailable": "the cache is not answering; try again later",
    "bus_unavailable": "the event stream is not answering; try again later",
    "publish_failed": "the event stream did not take the events; send them again",
    "commit_failed": "the event stream did not answer; try again later",
    "registry_unavailable": "the model registry is not answering; try again later",
}

#: Errors of the packages below serving that carry a stable ``code`` (and usually a
#: ``message`` and ``details``). Each base class gets its own handler: one registered for
#: ``Exception`` answers too, but Starlette then re-raises, logging a crash and dropping the
#: client's keep-alive connection.
CODED_ERRORS: tuple[type[Exception], ...] = (
    CacheError,
    EventBusError,
    SearchError,
    RegistryUnavailable,
)


class ApiError(Exception):
    """An error raised by serving code itself (not by a domain), with a stable code."""

    def __init__(
        self, code: str, message: str, status: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
        self.status = status or STATUS_BY_CODE.get(code, 400)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


#: ``Retry-After`` of a 429 whose details carry no ``retry_after_seconds``.
DEFAULT_RETRY_AFTER_S = 60


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    headers = {"Retry-After": str(_retry_after(details))} if status == 429 else None
    return JSONResponse(
        status_code=status, content=error_body(code, message, details), headers=headers
    )


def _retry_after(details: Any) -> int:
    # Clients and proxies read the standard header, not our body: every 429 carries it.
    seconds = details.get("retry_after_seconds") if isinstance(details, dict) else None
    return seconds if isinstance(seconds, int) and seconds >= 1 else DEFAULT_RETRY_AFTER_S


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
        for err in exc.errors()
    ]


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one body shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(CommerceError)
    async def _commerce(_: Request, exc: CommerceError) -> JSONResponse:
        # Registered for the class itself: an ``Exception`` handler would also re-raise it
        # (Starlette's server-error path), logging every 409 as a crash.
        status = STATUS_BY_CODE.get(exc.code, 400)
        return error_response(status, exc.code, exc.message, exc.details)

    @app.exception_handler(PaymentOutcomeUnknown)
    async def _provider_silent(_: Request, exc: PaymentOutcomeUnknown) -> JSONResponse:
        # Nothing was decided: the caller may simply ask again.
        return error_response(
            503, "payments_unavailable", "the payment provider did not answer; try again later"
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "validation_error", "the request is not valid", _validation_details(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    async def _coded(request: Request, exc: Exception) -> JSONResponse:
        code = str(getattr(exc, "code", "error"))
        status = STATUS_BY_CODE.get(code, 400)
        if code in UNAVAILABLE_MESSAGES:
            log.warning("%s on %s %s: %s", code, request.method, request.url.path, exc)
            return error_response(status, code, UNAVAILABLE_MESSAGES[code])
        message = getattr(exc, "message", None) or str(exc)
        return error_response(status, code, message, getattr(exc, "details", None))

    for coded in CODED_ERRORS:
        app.add_exception_handler(coded, _coded)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DisconnectionError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        # Connection refused, reset or timed out, a statement cancelled by the server's time
        # limit, no pooled connection free in time: the database, not the request, is at fault.
        log.warning(
            "database unavailable on %s %s: %s", request.method, request.url.path, error_line(exc)
        )
        code = "database_unavailable"
        return error_response(STATUS_BY_CODE[code], code, UNAVAILABLE_MESSAGES[code])

    @app.exception_handler(Exception)
    async def _domain_or_bug(request: Request, exc: Exception) -> JSONResponse:
        code = getattr(exc, "code", None)
        # SQLAlchemy errors carry a ``code`` too (a docs link id such as "9h9h"), and their
        # message holds the SQL and its parameters: never a client error, never echoed.
        if isinstance(code, str) and not isinstance(exc, SQLAlchemyError):
            details = getattr(exc, "details", None)
            return error_response(STATUS_BY_CODE.get(code, 400), code, str(exc), details)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
