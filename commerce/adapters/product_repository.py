"""Products in SQL: add, get, page, optimistic update and the catalog loader's bulk upsert."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce.adapters.orm import as_utc, dml, products, stock_levels
from commerce.domain.errors import DuplicateSku, VersionConflict
from commerce.domain.products import Product

_COLUMNS = (
    "sku", "name", "description", "category_path", "brand", "price", "currency",
    "image_urls", "attributes", "status", "created_at", "updated_at", "version",
)  # fmt: skip
_UPSERT_UPDATES = (
    "name", "description", "category_path", "brand", "price", "currency", "image_urls",
    "attributes", "status", "updated_at",
)  # fmt: skip
UPSERT_CHUNK = 500


def _row_values(product: Product) -> dict[str, Any]:
    return {name: getattr(product, name) for name in _COLUMNS}


def _to_product(row: Row[Any]) -> Product:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["created_at"] = as_utc(row.created_at)
    values["updated_at"] = as_utc(row.updated_at)
    return Product(id=row.id, **values)


class SqlAlchemyProductRepository:
    """Products over a session; the caller (unit of work) owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, product: Product) -> Product:
        try:
            with self.session.begin_nested():
                result = dml(self.session, insert(products).values(**_row_values(product)))
        except IntegrityError as e:
            raise DuplicateSku(f"sku {product.sku!r} exists", {"sku": product.sku}) from e
        pk = result.inserted_primary_key
        assert pk is not None
        product.id = int(pk[0])
        return product

    def get(self, sku: str, *, for_update: bool = False) -> Product | None:
        query = select(products).where(products.c.sku == sku)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _to_product(row) if row else None

    def get_many(self, skus: Iterable[str]) -> dict[str, Product]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        rows = self.session.execute(select(products).where(products.c.sku.in_(wanted)))
        return {row.sku: _to_product(row) for row in rows}

    def changed_since(self, since: datetime) -> list[str]:
        """SKUs of the products (archived ones too) whose row or stock level was written at or
        after ``since``."""
        query = (
            select(products.c.sku)
            .outerjoin(stock_levels, stock_levels.c.product_id == products.c.id)
            .where((products.c.updated_at >= since) | (stock_levels.c.updated_at >= since))
        )
        return sorted(set(self.session.execute(query).scalars()))

    def list(
        self,
        page: int = 1,
        size: int = 20,
        category: str | None = None,
        include_archived: bool = False,
    ) -> tuple[list[Product], int]:
        """One page (1-based) ordered by id, and the total count of matching products.

        ``category`` matches the path and everything under it (``home`` matches
        ``home/kitchen``).
        """
        query = select(products)
        if category:
            query = query.where(
                (products.c.category_path == category)
                | products.c.category_path.startswith(category.rstrip("/") + "/", autoescape=True)
            )
        if not include_archived:
            query = query.where(products.c.status == "active")
        total = self.session.execute(
            select(func.count()).select_from(query.subquery())
        ).scalar_one()
        rows = self.session.execute(
            query.order_by(products.c.id).limit(size).offset((page - 1) * size)
        )
        return [_to_product(row) for row in rows], int(total)

    def save(self, product: Product) -> None:
        """Write changes back if nobody else changed the row since it was read."""
        result = dml(
            self.session,
            update(products)
            .where(products.c.id == product.id, products.c.version == product.version)
            .values(**{**_row_values(product), "version": product.version + 1}),
        )
        if result.rowcount != 1:
            raise VersionConflict("product changed concurrently", {"sku": product.sku})
        product.version += 1

    def upsert_many(self, items: Sequence[Product]) -> int:
        """Insert or update by sku in chunks (the catalog loader). Returns rows written."""
        dialect = self.session.get_bind().dialect.name
        for start in range(0, len(items), UPSERT_CHUNK):
            self._upsert_chunk(dialect, items[start : start + UPSERT_CHUNK])
        return len(items)

    def _upsert_chunk(self, dialect: str, chunk: Sequence[Product]) -> None:
        # Duplicate skus within one statement break ON CONFLICT on PostgreSQL: last one wins.
        rows = list({p.sku: _row_values(p) for p in chunk}.values())
        if not rows:
            return
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(products)
        excluded = ins.excluded
        updates = {name: getattr(excluded, name) for name in _UPSERT_UPDATES}
        updates["version"] = products.c.version + 1
        self.session.execute(
            ins.values(rows).on_conflict_do_update(index_elements=["sku"], set_=updates)
        )
