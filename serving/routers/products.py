"""Public catalog: ``GET /products`` (paged, filter by category) and ``GET /products/{sku}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from serving.errors import ApiError
from serving.schemas.catalog import ProductPage, ProductPublic

router = APIRouter(tags=["catalog"])
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


def _uow(request: Request) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(request.app.state.container.session_factory)


@router.get("/products", response_model=ProductPage)
def list_products(
    request: Request,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    category: Annotated[str | None, Query(max_length=500)] = None,
) -> ProductPage:
    """Active products, ordered by id, one page at a time."""
    with _uow(request) as uow:
        items, total = uow.products.list(page=page, size=size, category=category)
    return ProductPage(
        items=[ProductPublic.of(p) for p in items], page=page, size=size, total=total
    )


@router.get("/products/{sku}", response_model=ProductPublic)
def get_product(request: Request, sku: str) -> ProductPublic:
    """One active product by its sku (a string: ``85123A`` is not a number)."""
    with _uow(request) as uow:
        product = uow.products.get(sku)
    if product is None or not product.is_active:
        raise ApiError("not_found", f"no product with sku {sku!r}", details={"sku": sku})
    return ProductPublic.of(product)
