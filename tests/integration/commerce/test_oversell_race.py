"""50 checkouts from 5 OS processes, released together, compete for 10 units."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
import race_worker

from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer import inventory
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

PROCESSES, PER_PROCESS, UNITS = 5, 10, 10


def _setup(uow_factory: Callable[[], SqlAlchemyUnitOfWork]) -> tuple[Product, list[str]]:
    users = [User(f"race-{uuid.uuid4().hex}", None, None) for _ in range(PROCESSES * PER_PROCESS)]
    with uow_factory() as uow:
        product = uow.products.add(
            Product(
                sku=f"RACE-{uuid.uuid4().hex[:8]}",
                name="Last units",
                price=Decimal("5"),
                currency="GBP",
            )
        )
        uow.users.upsert_many(users)
        uow.commit()
    inventory.receive_stock(uow_factory(), product.sku, UNITS)
    with uow_factory() as uow:
        assert product.id is not None
        for user in users:  # each cart already holds one unit (adding checks stock: 10 >= 1)
            uow.carts.set_quantity(uow.carts.for_user(user.id), product.id, 1)
        uow.commit()
    return product, [u.id for u in users]


@pytest.mark.slow
def test_concurrent_checkouts_from_processes_never_oversell(
    db_url: str, uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    product, user_ids = _setup(uow_factory)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(user_ids)), ctx.Queue()
    procs = [
        ctx.Process(target=race_worker.run,
                    args=(db_url, user_ids[i::PROCESSES], barrier, results))
        for i in range(PROCESSES)
    ]  # fmt: skip
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=180) for _ in user_ids]
    for p in procs:
        p.join(timeout=60)
    kinds = [kind for kind, _, _ in outcomes]
    assert [o for o in outcomes if o[0] == "error"] == []
    assert kinds.count("ok") == UNITS and kinds.count("sold_out") == len(user_ids) - UNITS
    with uow_factory() as uow:
        assert product.id is not None
        level = uow.inventory.level(product.id)
        assert level is not None and (level.available, level.reserved) == (0, UNITS)
        assert uow.inventory.ledger_sums(product.id) == (0, UNITS)
