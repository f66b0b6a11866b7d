"""Product persistence on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from commerce.domain.errors import DuplicateSku, VersionConflict
from commerce.domain.products import Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def _product(sku: str, **kw: object) -> Product:
    values: dict[str, object] = {
        "name": "Mug",
        "price": Decimal("4.25"),
        "currency": "GBP",
        "category_path": "home/kitchen",
        "image_urls": ["https://img.example/1.jpg"],
        "attributes": {"colour": "red", "size": {"h": 10}},
    }
    values.update(kw)
    return Product(sku=sku, **values)  # type: ignore[arg-type]


def test_add_then_get_round_trips_every_field(
    uow_factory: UowFactory, ref: Callable[..., str]
) -> None:
    sku = ref("85123A")
    evil = "'; DROP TABLE products; -- O'Brien \u00e9\u4e2d"
    with uow_factory() as uow:
        uow.products.add(_product(sku, name=evil, description=evil, brand="O'Brien"))
        uow.commit()
    with uow_factory() as uow:
        got = uow.products.get(sku)
    assert got is not None
    assert (got.name, got.description, got.brand) == (evil, evil, "O'Brien")
    assert got.price == Decimal("4.25") and got.currency == "GBP"
    assert got.attributes == {"colour": "red", "size": {"h": 10}}
    assert got.image_urls == ["https://img.example/1.jpg"]
    assert got.created_at.tzinfo is not None


def test_duplicate_sku_is_refused_and_first_kept(
    uow_factory: UowFactory, ref: Callable[..., str]
) -> None:
    sku = ref()
    with uow_factory() as uow:
        uow.products.add(_product(sku, name="first"))
        uow.commit()
    with uow_factory() as uow, pytest.raises(DuplicateSku):
        uow.products.add(_product(sku, name="second"))
    with uow_factory() as uow:
        assert uow.products.get(sku).name == "first"  # type: ignore[union-attr]


def test_list_pages_and_filters_by_category_subtree(
    uow_factory: UowFactory, ref: Callable[..., str]
) -> None:
    root = ref("cat")
    with uow_factory() as uow:
        for i in range(5):
            uow.products.add(_product(ref(), category_path=f"{root}/sub{i % 2}"))
        uow.products.add(_product(ref(), category_path=f"{root}x"))  # a sibling, not a child
        uow.commit()
    with uow_factory() as uow:
        first, total = uow.products.list(page=1, size=2, category=root)
        third, _ = uow.products.list(page=3, size=2, category=root)
        sub0, total0 = uow.products.list(category=f"{root}/sub0")
    assert total == 5 and len(first) == 2 and len(third) == 1
    assert total0 == 3 and {p.category_path for p in sub0} == {f"{root}/sub0"}


def test_stale_save_is_a_version_conflict(uow_factory: UowFactory, ref: Callable[..., str]) -> None:
    sku = ref()
    with uow_factory() as uow:
        uow.products.add(_product(sku))
        uow.commit()
    with uow_factory() as b:
        stale = b.products.get(sku)  # read, then someone else writes
    with uow_factory() as a:
        fresh = a.products.get(sku)
        assert fresh is not None
        fresh.update({"name": "A"})
        a.products.save(fresh)
        a.commit()
    assert stale is not None
    stale.update({"name": "B"})
    with uow_factory() as c, pytest.raises(VersionConflict):
        c.products.save(stale)


def test_upsert_many_inserts_then_updates(uow_factory: UowFactory, ref: Callable[..., str]) -> None:
    skus = [ref() for _ in range(3)]
    with uow_factory() as uow:
        assert uow.products.upsert_many([_product(s) for s in skus]) == 3
        uow.commit()
    with uow_factory() as uow:
        uow.products.upsert_many([_product(skus[0], price=Decimal("9.99"), name="New")])
        uow.commit()
    with uow_factory() as uow:
        got = uow.products.get_many(skus)
    assert got[skus[0]].price == Decimal("9.99") and got[skus[0]].name == "New"
    assert got[skus[0]].version == 2 and got[skus[1]].version == 1


def test_changed_since_finds_product_and_stock_writes_after_a_time(
    uow_factory: UowFactory, ref: Callable[..., str]
) -> None:
    import time

    from commerce.domain.events import utcnow
    from commerce.service_layer import inventory

    old, renamed, restocked = ref("OLD"), ref("REN"), ref("STK")
    with uow_factory() as uow:
        for sku in (old, renamed, restocked):
            uow.products.add(_product(sku))
        uow.commit()
    time.sleep(0.005)  # the clock moves on: the writes above are before `since`, those below after
    since = utcnow()
    time.sleep(0.005)
    with uow_factory() as uow:
        product = uow.products.get(renamed)
        assert product is not None
        product.update({"name": "Renamed mug"})
        uow.products.save(product)
        uow.commit()
    inventory.receive_stock(uow_factory(), restocked, 3)
    with uow_factory() as uow:
        changed = set(uow.products.changed_since(since))
    assert {renamed, restocked} <= changed and old not in changed
