"""Reviews: public list with the average rating; a customer writes, edits and deletes only
their own review of a product (``/mine``), so no review of anyone else can be addressed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from commerce.service_layer import reviews
from serving.routers.deps import Claims, new_uow, request_id
from serving.schemas.reviews import RatingSummaryPublic, ReviewIn, ReviewPage, ReviewPublic

router = APIRouter(prefix="/products/{sku}/reviews", tags=["reviews"])


@router.get("", response_model=ReviewPage)
def list_reviews(
    sku: str,
    request: Request,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReviewPage:
    items, summary = reviews.product_reviews(new_uow(request), sku, page, size)
    return ReviewPage(
        items=[ReviewPublic.of(r) for r in items],
        rating=RatingSummaryPublic.of(summary),
        page=page,
        size=size,
    )


@router.post("", status_code=201, response_model=ReviewPublic)
def add_review(sku: str, body: ReviewIn, request: Request, claims: Claims) -> ReviewPublic:
    """One review per customer and product (409 ``review_exists`` for a second)."""
    review = reviews.add_review(
        new_uow(request),
        claims.user_id,
        sku,
        body.rating,
        body.title,
        body.body,
        request_id(request),
    )
    return ReviewPublic.of(review)


@router.put("/mine", response_model=ReviewPublic)
def update_review(sku: str, body: ReviewIn, request: Request, claims: Claims) -> ReviewPublic:
    review = reviews.update_review(
        new_uow(request), claims.user_id, sku, body.rating, body.title, body.body
    )
    return ReviewPublic.of(review)


@router.delete("/mine", status_code=204)
def delete_review(sku: str, request: Request, claims: Claims) -> Response:
    reviews.delete_review(new_uow(request), claims.user_id, sku)
    return Response(status_code=204)
