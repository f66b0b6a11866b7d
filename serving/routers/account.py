"""The signed-in user's own data: ``GET /users/me/export`` and ``DELETE /users/me``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from commerce.service_layer import account
from serving.routers.deps import (
    Claims,
    auth_config,
    export_limiter,
    login_limiter,
    new_uow,
    request_id,
)
from serving.schemas.account import AccountDeletionRequest, AccountExport

router = APIRouter(prefix="/users/me", tags=["account"])


@router.get("/export", response_model=AccountExport)
def export(request: Request, response: Response, claims: Claims) -> AccountExport:
    """Everything the shop stores for the caller, as one JSON document: profile (never the
    password hash), orders with lines, payments and refunds, reviews, the current cart and
    signed-in sessions. Read as of one moment; only the caller's own data.

    Each reads every order of the account: limited per account (``exports_per_hour``,
    5 by default), past which the answer is 429 ``rate_limited``."""
    export_limiter(request).hit(claims.user_id)
    data = account.export_data(new_uow(request), claims.user_id)
    # Personal data: no shared cache keeps it; browsers save it as a file.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="emporium-export-{data.user.id}.json"'
    )
    return AccountExport.of(data)


@router.delete("", status_code=204)
def delete_me(body: AccountDeletionRequest, claims: Claims, request: Request) -> Response:
    """Erase the caller's account: email, country, password, sessions, cart, reviews, and
    the shipping addresses and card details of its orders. The orders themselves stay,
    pseudonymised, for the shop's accounts. The email can register again (a new account).

    Wrong ``current_password``: 401 ``invalid_credentials``, counted against the same limit
    as login (429 ``rate_limited``). An order not finished yet (awaiting payment, being
    fulfilled or shipped, a return or refund under way): 409 ``account_has_open_orders``
    with ``details.order_ids``, and nothing changes. Another change holding the account
    past the database's lock wait: 409 ``account_busy``, nothing changes; ask again.
    """
    host = request.client.host if request.client else "unknown"
    cmd = account.AccountDeletion(claims.user_id, body.current_password, host,
                                  request_id(request))  # fmt: skip
    account.delete_account(new_uow(request), auth_config(request), login_limiter(request), cmd)
    return Response(status_code=204)
