"""Inventory administration (admins only): receive, adjust, thresholds, low-stock list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from commerce.service_layer import inventory
from serving.routers.deps import AdminClaims, new_uow
from serving.schemas.inventory import (
    LowStockPage,
    StockAdjust,
    StockLevelPublic,
    StockReceive,
    ThresholdUpdate,
)

router = APIRouter(prefix="/admin/inventory", tags=["inventory admin"])


@router.get("/low-stock", response_model=LowStockPage)
def low_stock(
    request: Request,
    _: AdminClaims,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> LowStockPage:
    """Active products whose available stock is at or below their threshold, lowest first."""
    with new_uow(request) as uow:
        levels = uow.inventory.low_stock(limit=size, offset=(page - 1) * size)
    return LowStockPage(items=[StockLevelPublic.of(lv) for lv in levels], page=page, size=size)


@router.get("/{sku}", response_model=StockLevelPublic)
def get_level(sku: str, request: Request, _: AdminClaims) -> StockLevelPublic:
    return StockLevelPublic.of(inventory.stock_level(new_uow(request), sku))


@router.post("/{sku}/receive", response_model=StockLevelPublic)
def receive(sku: str, body: StockReceive, request: Request, _: AdminClaims) -> StockLevelPublic:
    inventory.receive_stock(new_uow(request), sku, body.quantity)
    return StockLevelPublic.of(inventory.stock_level(new_uow(request), sku))


@router.post("/{sku}/adjust", response_model=StockLevelPublic)
def adjust(sku: str, body: StockAdjust, request: Request, _: AdminClaims) -> StockLevelPublic:
    inventory.adjust_stock(new_uow(request), sku, body.delta, body.reason)
    return StockLevelPublic.of(inventory.stock_level(new_uow(request), sku))


@router.put("/{sku}/threshold", response_model=StockLevelPublic)
def threshold(
    sku: str, body: ThresholdUpdate, request: Request, _: AdminClaims
) -> StockLevelPublic:
    inventory.set_low_stock_threshold(new_uow(request), sku, body.threshold)
    return StockLevelPublic.of(inventory.stock_level(new_uow(request), sku))
