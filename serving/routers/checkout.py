"""``POST /checkout``: place the cart as an order and pay for it, exactly once per
``Idempotency-Key`` (same key + same body -> the same answer; a different body -> 409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from commerce.domain.errors import CommerceError
from commerce.service_layer import checkout, idempotency, payment
from commerce.service_layer.fraud import FraudScreen
from commerce.service_layer.idempotency import StoredResponse
from serving.errors import STATUS_BY_CODE, error_body
from serving.routers.deps import (
    Claims,
    container,
    new_uow,
    payment_provider,
    pricing_rules,
    request_id,
)
from serving.schemas.orders import CheckoutCreate, OrderPublic

router = APIRouter(tags=["checkout"])
STATUS_BY_PAYMENT = {"captured": 201, "failed": 402, "payment_failed": 402, "unknown": 202,
                     "held": 202}  # fmt: skip


def _fraud(request: Request) -> FraudScreen:
    """Rules always; the anomaly model when the container provides a trained one."""
    c = container(request)
    configured = getattr(c, "extras", {}).get("fraud_screen")
    if isinstance(configured, FraudScreen):
        return configured
    return FraudScreen(model=getattr(c, "extras", {}).get("fraud_model"))


@router.post(
    "/checkout",
    status_code=201,
    response_model=OrderPublic,
    responses={202: {"description": "placed; payment outcome pending or held for review"},
               402: {"description": "payment declined; the stock was released"}},
)  # fmt: skip
def checkout_and_pay(
    body: CheckoutCreate,
    request: Request,
    claims: Claims,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    key = idempotency.validate_key(idempotency_key)
    provider = payment_provider(request)
    fingerprint = idempotency.fingerprint("POST", "/checkout", body.model_dump(mode="json"))
    req = checkout.CheckoutRequest(
        user_id=claims.user_id, idempotency_key=key, country=body.country.upper(),
        shipping_address=body.shipping_address.model_dump(),
        expected_total=body.expected_total, request_id=request_id(request),
    )  # fmt: skip

    def work() -> StoredResponse:
        try:
            order = checkout.place_order(
                new_uow(request), req, pricing_rules(request), fraud_screen=_fraud(request)
            )
            order, status = payment.pay_order(lambda: new_uow(request), provider, order.id,
                                              body.payment.method, body.payment.token)  # fmt: skip
        except CommerceError as e:
            status_code = STATUS_BY_CODE.get(e.code, 400)
            return StoredResponse(status_code, error_body(e.code, e.message, e.details))
        if order.status == "cancelled" or status not in STATUS_BY_PAYMENT:
            # Cancelled while it was being paid: never charged, or its money is owed back.
            details = {"order_id": order.id, "order_status": order.status, "payment_status": status}
            message = (
                "the order was cancelled before its payment completed; payment_status says "
                "where any money taken stands"
            )
            return StoredResponse(409, error_body("order_cancelled", message, details))
        public = OrderPublic.of(order, status).model_dump(mode="json")
        return StoredResponse(STATUS_BY_PAYMENT[status], public)

    result = idempotency.run_once(lambda: new_uow(request), claims.user_id, key, fingerprint, work)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)
