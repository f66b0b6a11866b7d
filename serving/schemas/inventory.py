from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.domain.inventory import MAX_MOVE, StockLevel
from serving.schemas.base import InputModel


class StockReceive(InputModel):
    quantity: int = Field(gt=0, le=MAX_MOVE, strict=True)


class StockAdjust(InputModel):
    delta: int = Field(ge=-MAX_MOVE, le=MAX_MOVE, strict=True)
    reason: str = Field(min_length=1, max_length=200)


class ThresholdUpdate(InputModel):
    threshold: int = Field(ge=0, le=MAX_MOVE, strict=True)


class StockLevelPublic(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int

    @classmethod
    def of(cls, level: StockLevel) -> StockLevelPublic:
        return cls.model_validate(level, from_attributes=True)


class LowStockPage(BaseModel):
    items: list[StockLevelPublic]
    page: int
    size: int
