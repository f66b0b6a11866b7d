"""Reviews and star ratings: one per customer and product."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from commerce.domain.errors import InvalidInput

MAX_TITLE, MAX_BODY = 200, 5_000


def validate_review(rating: object, title: str, body: str) -> None:
    if type(rating) is not int or not 1 <= rating <= 5:
        raise InvalidInput(
            "rating must be a whole number of stars from 1 to 5", {"field": "rating"}
        )
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise InvalidInput("review text is too long", {"field": "body"})


@dataclasses.dataclass(frozen=True)
class Review:
    id: int
    sku: str
    user_id: str
    rating: int
    title: str
    body: str
    verified_purchase: bool
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class RatingSummary:
    count: int
    average: Decimal | None  # two decimals, half-up; None without ratings

    @classmethod
    def of(cls, count: int, total: int) -> RatingSummary:
        if count == 0:
            return cls(0, None)
        average = (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return cls(count, average)
