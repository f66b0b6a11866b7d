"""The checkout benchmark's runner (the command is ``emporium.bench.checkout``).

Each concurrency level runs in a fresh PostgreSQL schema (dropped afterwards): one product
whose stock covers 80% of the attempts, one customer per attempt with one unit in the cart,
and ``clients`` threads each with its own connection placing and paying orders as fast as
they can. Payment uses an in-process provider that captures at once, so the numbers measure
the platform (reservation, order, payment bookkeeping, outbox), not a card network.
Oversold = units reserved or sold beyond what was received (must be 0).
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

from commerce.adapters.db import (
    create_schema,
    drop_schema,
    make_engine,
    make_session_factory,
    upgrade,
)
from commerce.domain.errors import InsufficientStock
from commerce.domain.payments import ChargeResult, RefundResult
from commerce.domain.pricing import PricingRules
from commerce.domain.products import Product
from commerce.domain.users import User
from commerce.service_layer import inventory
from commerce.service_layer.checkout import CheckoutRequest, place_order
from commerce.service_layer.payment import pay_order
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.bench.levels import latency_ms, run_clients

ADDRESS = {"name": "Bench", "line1": "1 Road", "city": "York", "postcode": "YO1"}


class InstantProvider:
    name = "instant"

    def charge(
        self, *, amount: Decimal, currency: str, method: str, source: str, idempotency_key: str
    ) -> ChargeResult:
        return ChargeResult(status="captured", provider_ref=f"ch_{idempotency_key[-12:]}")

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        return None

    def refund(self, *, provider_ref: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        return RefundResult(status="refunded", provider_ref=provider_ref)


def _setup(sessions: Any, attempts: int) -> tuple[Product, list[str], int]:
    stock = max(1, attempts * 4 // 5)
    users = [User(f"bench-{uuid.uuid4().hex}", None, None) for _ in range(attempts)]
    with SqlAlchemyUnitOfWork(sessions) as uow:
        product = uow.products.add(
            Product(
                sku=f"BENCH-{uuid.uuid4().hex[:8]}",
                name="Bench",
                price=Decimal("9.99"),
                currency="GBP",
            )
        )
        uow.users.upsert_many(users)
        uow.commit()
    inventory.receive_stock(SqlAlchemyUnitOfWork(sessions), product.sku, stock)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        for user in users:
            uow.carts.set_quantity(uow.carts.for_user(user.id), product.id or 0, 1)
        uow.commit()
    return product, [u.id for u in users], stock


def _client(sessions: Any, user_ids: list[str], latencies: list[float], sold: list[int]) -> None:
    provider = InstantProvider()
    for user_id in user_ids:
        started = time.perf_counter()
        try:
            order = place_order(
                SqlAlchemyUnitOfWork(sessions),
                CheckoutRequest(user_id, "bench", "GB", ADDRESS),
                PricingRules(),
            )
            pay_order(lambda: SqlAlchemyUnitOfWork(sessions), provider, order.id, "card", "tok")
            sold.append(1)
        except InsufficientStock:
            pass
        latencies.append(time.perf_counter() - started)


def run_level(url: str, clients: int, per_client: int) -> dict[str, Any]:
    engine = make_engine(url, pool_size=clients)
    sessions = make_session_factory(engine)
    product, user_ids, stock = _setup(sessions, clients * per_client)
    latencies: list[float] = []
    sold: list[int] = []
    elapsed = run_clients(
        clients, lambda i: _client(sessions, user_ids[i::clients], latencies, sold)
    )
    with SqlAlchemyUnitOfWork(sessions) as uow:
        level = uow.inventory.level(product.id or 0)
        ledger = uow.inventory.ledger_sums(product.id or 0)
    engine.dispose()
    assert level is not None
    taken = stock - level.available
    return {
        "clients": clients,
        "attempts": len(latencies),
        "succeeded": len(sold),
        "stock": stock,
        "seconds": round(elapsed, 3),
        "checkouts_per_s": round(len(latencies) / elapsed, 1),
        **latency_ms(latencies),
        "oversold_units": max(0, taken - stock) + max(0, len(sold) - stock),
        "ledger_matches_projection": ledger == (level.available, level.reserved),
    }


def isolated_level(base: str, clients: int, per_client: int) -> dict[str, Any]:
    schema = f"bench_checkout_{uuid.uuid4().hex[:10]}"
    url = create_schema(base, schema)
    try:
        upgrade(url)
        return run_level(url, clients, per_client)
    finally:
        drop_schema(base, schema)
