"""Catalog products: validation of what a product may look like lives here."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from commerce.domain.errors import IllegalTransition, InvalidInput
from commerce.domain.events import utcnow
from commerce.domain.text import has_nul

ACTIVE = "active"
ARCHIVED = "archived"
MAX_PRICE = Decimal("9999999999.99")  # Numeric(12, 2)
CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\- ]{0,63}$")
#: How deep attributes may nest (objects and arrays). A facet needs two or three levels;
#: the API's JSON encoder refuses values past 255, so deeper ones would be stored but never
#: answered again.
MAX_ATTRIBUTE_DEPTH = 32


def money(value: Decimal | str | int, field: str = "price") -> Decimal:
    """A non-negative amount in major units, rounded half-even to cents."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as e:
        raise InvalidInput(f"{field} is not a number", {"field": field}) from e
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise InvalidInput(f"{field} out of range", {"field": field})
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def validate_sku(sku: str) -> str:
    if not _SKU.match(sku):
        raise InvalidInput("sku must be 1-64 letters, digits, spaces or ._-", {"field": "sku"})
    return sku


def validate_currency(currency: str) -> str:
    if not _CURRENCY.match(currency):
        raise InvalidInput("currency must be an ISO 4217 code", {"field": "currency"})
    return currency


def validate_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes must survive a JSON round trip unchanged: no NaN or infinity (JSON has
    neither; they would be stored as null), no unpaired surrogates or NUL characters (UTF-8
    and PostgreSQL cannot hold them: the product would be written but never read back), and
    no nesting deeper than ``MAX_ATTRIBUTE_DEPTH`` (for the same reason)."""
    if _depth(attributes) > MAX_ATTRIBUTE_DEPTH:
        raise InvalidInput(
            f"attributes must not nest more than {MAX_ATTRIBUTE_DEPTH} levels deep",
            {"field": "attributes", "max_depth": MAX_ATTRIBUTE_DEPTH},
        )
    try:
        text = json.dumps(attributes, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError) as e:  # UnicodeEncodeError is a ValueError
        raise InvalidInput(
            "attributes must be JSON without NaN, infinity or unpaired surrogates",
            {"field": "attributes"},
        ) from e
    if has_nul(attributes):
        raise InvalidInput("attributes must not contain NUL characters", {"field": "attributes"})
    return attributes


def _depth(value: Any) -> int:
    """How many objects and arrays deep ``value`` nests (without recursion: any depth)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


@dataclasses.dataclass
class Product:
    sku: str
    name: str
    price: Decimal
    currency: str
    description: str = ""
    category_path: str = ""
    brand: str | None = None
    image_urls: list[str] = dataclasses.field(default_factory=list)
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict)
    status: str = ACTIVE
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    updated_at: datetime = dataclasses.field(default_factory=utcnow)
    version: int = 1
    id: int | None = None

    def __post_init__(self) -> None:
        validate_sku(self.sku)
        validate_currency(self.currency)
        self.price = money(self.price)
        validate_attributes(self.attributes)
        if not self.name.strip():
            raise InvalidInput("name must not be blank", {"field": "name"})

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply allowed field changes; returns what actually changed."""
        allowed = {
            "name",
            "description",
            "category_path",
            "brand",
            "price",
            "currency",
            "image_urls",
            "attributes",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput("unknown fields", {"fields": sorted(unknown)})
        if self.status == ARCHIVED:
            raise IllegalTransition("product", self.status, "update")
        applied = {k: v for k, v in changes.items() if getattr(self, k) != v}
        for key, value in applied.items():
            setattr(self, key, value)
        self.__post_init__()
        self.updated_at = utcnow()
        return applied

    def archive(self) -> None:
        if self.status == ARCHIVED:
            raise IllegalTransition("product", self.status, "archive")
        self.status = ARCHIVED
        self.updated_at = utcnow()
