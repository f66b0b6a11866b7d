"""Catalog administration (admins only): create, update, archive, list with archived."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from commerce.domain.errors import ProductNotFound
from commerce.service_layer import catalog
from serving.routers.deps import AdminClaims, new_uow, pricing_rules, request_id
from serving.schemas.catalog import ProductAdmin, ProductAdminPage, ProductCreate, ProductUpdate

router = APIRouter(prefix="/admin/products", tags=["catalog admin"])


@router.post("", status_code=201, response_model=ProductAdmin)
def create_product(body: ProductCreate, request: Request, _: AdminClaims) -> ProductAdmin:
    pricing_rules(request).check_currency(body.currency)
    product = catalog.create_product(new_uow(request), body.fields(), request_id(request))
    return ProductAdmin.of(product)


@router.get("", response_model=ProductAdminPage)
def list_products(
    request: Request,
    _: AdminClaims,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    category: Annotated[str | None, Query(max_length=500)] = None,
) -> ProductAdminPage:
    with new_uow(request) as uow:
        items, total = uow.products.list(page, size, category, include_archived=True)
    return ProductAdminPage(
        items=[ProductAdmin.of(p) for p in items], page=page, size=size, total=total
    )


@router.get("/{sku}", response_model=ProductAdmin)
def get_product(sku: str, request: Request, _: AdminClaims) -> ProductAdmin:
    with new_uow(request) as uow:
        product = uow.products.get(sku)
    if product is None:
        raise ProductNotFound(f"no product with sku {sku!r}", {"sku": sku})
    return ProductAdmin.of(product)


@router.patch("/{sku}", response_model=ProductAdmin)
def update_product(sku: str, body: ProductUpdate, request: Request, _: AdminClaims) -> ProductAdmin:
    if body.currency is not None:
        pricing_rules(request).check_currency(body.currency)
    product = catalog.update_product(
        new_uow(request), sku, body.changes(), body.version, request_id(request)
    )
    return ProductAdmin.of(product)


@router.post("/{sku}/archive", response_model=ProductAdmin)
def archive_product(sku: str, request: Request, _: AdminClaims) -> ProductAdmin:
    return ProductAdmin.of(catalog.archive_product(new_uow(request), sku, request_id(request)))
