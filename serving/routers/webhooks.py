"""``POST /webhooks/carrier``: shipment updates from the carrier, HMAC-SHA256 signed.

The carrier sends ``X-Carrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>">`` under the shared secret (Stripe's scheme, see
``commerce.adapters.webhook_signatures``). A missing or wrong signature gets 401
``invalid_token``; a right one whose timestamp is more than 5 minutes from the server's clock
(a replayed request) gets 401 ``stale_signature``. Either way nothing changes.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from pydantic import ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from commerce.adapters import webhook_signatures
from commerce.domain.errors import InvalidInput, OrderNotFound, PaymentsUnavailable
from commerce.service_layer import orders
from serving.routers.deps import container, new_uow
from serving.routers.orders import order_out
from serving.schemas.base import InputModel
from serving.schemas.orders import OrderPublic

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class CarrierUpdate(InputModel):
    model_config = ConfigDict(extra="ignore")

    tracking_number: str = Field(min_length=1, max_length=128)
    status: Literal["in_transit", "delivered"]


def _secret(request: Request) -> bytes:
    c = container(request)
    secret = getattr(c, "carrier_webhook_secret", None) or getattr(c, "extras", {}).get(
        "carrier_webhook_secret"
    )
    if not secret:
        raise PaymentsUnavailable("the carrier webhook is not configured")
    return str(secret).encode()


@router.post("/carrier", response_model=OrderPublic)
async def carrier_update(
    request: Request,
    signature: Annotated[str | None, Header(alias="X-Carrier-Signature", max_length=512)] = None,
) -> OrderPublic:
    # The signature covers the raw bytes, so the body is read here rather than parsed by
    # FastAPI; the database work then runs in the thread pool, as in the sync routes, so it
    # never holds up the event loop (and with it every other request).
    raw = await request.body()
    return await run_in_threadpool(_apply_update, request, signature, raw)


def _apply_update(request: Request, signature: str | None, raw: bytes) -> OrderPublic:
    webhook_signatures.verify(_secret(request), signature, raw)
    try:
        update = CarrierUpdate.model_validate(json.loads(raw))
    except (ValueError, RecursionError, ValidationError) as e:  # deep nesting: RecursionError
        raise InvalidInput("malformed carrier update") from e
    with new_uow(request) as uow:
        order = uow.orders.by_tracking_number(update.tracking_number)
    if order is None:
        raise OrderNotFound("no shipment with this tracking number")
    if update.status == "delivered":
        order = orders.confirm_delivery(new_uow(request), order.id)
    return order_out(request, order)
