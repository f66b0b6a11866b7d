from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from commerce.domain.reviews import MAX_BODY, MAX_TITLE, RatingSummary, Review
from serving.schemas.base import InputModel


class ReviewIn(InputModel):
    rating: int = Field(ge=1, le=5, strict=True, description="Whole stars, 1 to 5.")
    title: str = Field(default="", max_length=MAX_TITLE)
    body: str = Field(default="", max_length=MAX_BODY)


class ReviewPublic(BaseModel):
    """Public reviews carry no user id or email."""

    sku: str
    rating: int
    title: str
    body: str
    verified_purchase: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, review: Review) -> ReviewPublic:
        return cls.model_validate(review, from_attributes=True)


class RatingSummaryPublic(BaseModel):
    count: int
    average: Decimal | None

    @classmethod
    def of(cls, summary: RatingSummary) -> RatingSummaryPublic:
        return cls(count=summary.count, average=summary.average)


class ReviewPage(BaseModel):
    items: list[ReviewPublic]
    rating: RatingSummaryPublic
    page: int
    size: int
