"""``GET /recommendations/{user_id}`` and ``GET /products/{product_id}/similar``.

Needs from the container (``request.app.state.container``): ``recommendations()``, the
champion model's ``RecommendationService`` (``None`` while no model is registered), and the
database (``in_stock``, the default, keeps only listed products with stock available: the
model is asked for more items than wanted, and again for more while too many were unsellable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from commerce.service_layer.account import is_erased_account
from commerce.service_layer.catalog import sellable
from models.serving import RecommendationService, Scored, UnknownItem
from serving.errors import ApiError
from serving.routers.deps import new_uow

router = APIRouter(tags=["recommendations"])
MAX_N = 100
MAX_ITEMS = 200  # items folded in per request
MAX_ID_CHARS = 64
OVERFETCH = 3  # items asked of the model per item wanted, when out-of-stock ones are dropped
MAX_FETCH = 2_000  # the most items asked of the model while looking for n sellable ones


class ItemOut(BaseModel):
    item_id: str
    score: float


class Recommendations(BaseModel):
    user_id: str
    personalised: bool
    model_version: str
    items: list[ItemOut]


class SimilarItems(BaseModel):
    product_id: str
    model_version: str
    items: list[ItemOut]


N = Annotated[int, Query(ge=1, le=MAX_N, description="how many items (1..100)")]
InStock = Annotated[bool, Query(description="only listed products with stock available")]


@router.get("/recommendations/{user_id}", response_model=Recommendations)
def recommend(
    request: Request,
    user_id: str,
    n: N = 10,
    items: Annotated[
        str, Query(description="comma-separated item ids since training (session, cart)")
    ] = "",
    in_stock: InStock = True,
) -> Recommendations:
    """A user's top ``n`` from the champion model, without what they already have.

    A user the model never saw is served from ``items``; with no ``items`` either, the answer
    is the most popular items and ``personalised`` is false. So is an erased account the
    model was trained on: what it learnt of them is not used (the next training drops them).
    """
    _check_id(user_id, "user_id")  # the caller's mistakes first, whatever the model's state
    recent = [i.strip() for i in items.split(",") if i.strip()]
    if len(recent) > MAX_ITEMS:
        raise ApiError("validation_error", f"items takes at most {MAX_ITEMS} ids", 422)
    service = _service(request)
    personal = True
    forget = service.knows_user(user_id) and is_erased_account(new_uow(request), user_id)

    def fetch(count: int) -> list[Scored]:
        nonlocal personal
        found, personal = service.for_user(user_id, recent, count, forget=forget)
        return found

    chosen = _out(_first_sellable(request, fetch, n, in_stock))
    return Recommendations(
        user_id=user_id, personalised=personal, model_version=service.version, items=chosen
    )


@router.get("/products/{product_id}/similar", response_model=SimilarItems)
def similar(request: Request, product_id: str, n: N = 10, in_stock: InStock = True) -> SimilarItems:
    """The ``n`` items the champion model finds most similar to ``product_id``."""
    _check_id(product_id, "product_id")
    service = _service(request)
    try:
        items = _out(
            _first_sellable(request, lambda count: service.similar(product_id, count), n, in_stock)
        )
    except UnknownItem as e:
        raise ApiError(e.code, str(e), 404, {"field": "product_id"}) from e
    return SimilarItems(product_id=product_id, model_version=service.version, items=items)


def _first_sellable(
    request: Request, fetch: Callable[[int], list[Scored]], n: int, in_stock: bool
) -> list[Scored]:
    """The model's first ``n`` items, skipping unsellable ones when ``in_stock``: ``fetch``
    asks for ``n`` x OVERFETCH, then twice as many each time too few were sellable and the
    model had more to give, up to MAX_FETCH."""
    if not in_stock:
        return fetch(n)
    count = n * OVERFETCH
    while True:
        found = fetch(count)
        if found:
            with new_uow(request) as uow:
                ok = sellable(uow, [s.item_id for s in found])
            kept = [s for s in found if s.item_id in ok]
        else:
            kept = []
        if len(kept) >= n or len(found) < count or count >= MAX_FETCH:
            return kept[:n]
        count = min(count * 2, MAX_FETCH)


def _service(request: Request) -> RecommendationService:
    service: RecommendationService | None = request.app.state.container.recommendations()
    if service is None:
        raise ApiError(
            "no_model",
            "no recommender is registered as champion yet (emporium models train)",
            503,
        )
    return service


def _check_id(value: str, field: str) -> None:
    if not 0 < len(value) <= MAX_ID_CHARS or not value.isprintable():
        raise ApiError(
            "validation_error", f"{field} must be 1..{MAX_ID_CHARS} printable characters", 422
        )


def _out(found: list[Scored]) -> list[ItemOut]:
    return [ItemOut(item_id=s.item_id, score=s.score) for s in found]
