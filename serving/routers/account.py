"""The signed-in user's own data: ``GET /users/me/export``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from commerce.service_layer import account
from serving.routers.deps import Claims, new_uow
from serving.schemas.account import AccountExport

router = APIRouter(prefix="/users/me", tags=["account"])


@router.get("/export", response_model=AccountExport)
def export(request: Request, response: Response, claims: Claims) -> AccountExport:
    """Everything the shop stores for the caller, as one JSON document: profile (never the
    password hash), orders with lines, payments and refunds, reviews, the current cart and
    signed-in sessions. Read as of one moment; only the caller's own data."""
    data = account.export_data(new_uow(request), claims.user_id)
    # Personal data: no shared cache keeps it; browsers save it as a file.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="emporium-export-{data.user.id}.json"'
    )
    return AccountExport.of(data)
