from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import AnyHttpUrl, BaseModel, BeforeValidator, Field

from commerce.domain.products import Product
from serving.schemas.base import InputModel


def _plain_number(value: Any) -> Any:
    """Digits as ASCII only (Python would read "١٢٣" as 123), and no negative zero."""
    if isinstance(value, str) and not value.isascii():
        raise ValueError("a price is written with ASCII digits")
    if isinstance(value, Decimal | str | int | float) and not isinstance(value, bool):
        try:
            if Decimal(value) == 0:
                return Decimal("0")
        except ArithmeticError:
            return value  # the Decimal validation answers it
    return value


# At most a million: 99 of each of a cart's 50 lines still fit an order's money columns.
Price = Annotated[
    Decimal,
    BeforeValidator(_plain_number),
    Field(ge=0, le=1_000_000, max_digits=12, decimal_places=2),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
ImageUrls = Annotated[list[AnyHttpUrl], Field(max_length=20)]


T = TypeVar("T")


class ProductCreate(InputModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\- ]*$")
    name: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20_000)
    category_path: str = Field(default="", max_length=500)
    brand: str | None = Field(default=None, max_length=200)
    price: Price
    currency: Currency
    image_urls: ImageUrls = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        data = self.model_dump()
        data["image_urls"] = [str(u) for u in self.image_urls]
        return data


class ProductUpdate(InputModel):
    """Only the fields given change. ``version`` guards against overwriting a newer edit."""

    name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    category_path: str | None = Field(default=None, max_length=500)
    brand: str | None = Field(default=None, max_length=200)
    price: Price | None = None
    currency: Currency | None = None
    image_urls: ImageUrls | None = None
    attributes: dict[str, Any] | None = None
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, exclude={"version"})
        # null only means "clear" for the optional brand; elsewhere it means "leave alone".
        data = {k: v for k, v in data.items() if v is not None or k == "brand"}
        if "image_urls" in data and self.image_urls is not None:
            data["image_urls"] = [str(u) for u in self.image_urls]
        return data


class ProductPublic(BaseModel):
    """What anyone may see of an active product."""

    sku: str
    name: str
    description: str
    category_path: str
    brand: str | None
    price: Decimal
    currency: str
    image_urls: list[str]
    attributes: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, product: Product) -> Self:
        return cls.model_validate(product, from_attributes=True)


class ProductAdmin(ProductPublic):
    """An administrator also sees the row id, status and version (for optimistic updates)."""

    id: int | None
    status: str
    version: int
    updated_at: datetime


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int


ProductPage = Page[ProductPublic]
ProductAdminPage = Page[ProductAdmin]
