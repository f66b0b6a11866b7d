"""``emporium bench checkout``: checkouts per second, p50/p99 latency and oversold units.

Each concurrency level runs in a fresh PostgreSQL schema (dropped afterwards): one product
whose stock covers 80% of the attempts, one customer per attempt with one unit in the cart,
and ``clients`` threads each with its own connection placing and paying orders as fast as
they can. Payment uses an in-process provider that captures at once, so the numbers measure
the platform (reservation, order, payment bookkeeping, outbox), not a card network.
Oversold = units reserved or sold beyond what was received (must be 0).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

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
    threads = [
        threading.Thread(target=_client, args=(sessions, user_ids[i::clients], latencies, sold))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with SqlAlchemyUnitOfWork(sessions) as uow:
        level = uow.inventory.level(product.id or 0)
        ledger = uow.inventory.ledger_sums(product.id or 0)
    engine.dispose()
    assert level is not None
    taken = stock - level.available
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "attempts": len(latencies),
        "succeeded": len(sold),
        "stock": stock,
        "seconds": round(elapsed, 3),
        "checkouts_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "oversold_units": max(0, taken - stock) + max(0, len(sold) - stock),
        "ledger_matches_projection": ledger == (level.available, level.reserved),
    }


def command(
    database_url: str = typer.Option(
        "", help="PostgreSQL URL; default EMPORIUM_TEST_POSTGRES_URL or EMPORIUM_DATABASE__URL."
    ),
    clients: str = typer.Option("1,8,32", help="Comma-separated concurrency levels."),
    per_client: int = typer.Option(20, min=1, help="Checkouts attempted by each client."),
    json_path: Path = typer.Option(None, "--json", help="Write one JSON object per level."),
) -> None:
    """Checkouts per second and p50/p99 latency at each concurrency level, and oversold units."""
    base = (
        database_url
        or os.environ.get("EMPORIUM_TEST_POSTGRES_URL")
        or os.environ.get("EMPORIUM_DATABASE__URL", "")
    )
    if not base.startswith("postgresql"):
        typer.echo("error: the checkout bench needs PostgreSQL (--database-url)", err=True)
        raise typer.Exit(2)
    results = [_isolated(base, int(c), per_client) for c in clients.split(",")]
    typer.echo(
        f"{'clients':>7} {'attempts':>8} {'ok':>5} {'chk/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'oversold':>8}"
    )
    for r in results:
        typer.echo(
            f"{r['clients']:>7} {r['attempts']:>8} {r['succeeded']:>5} "
            f"{r['checkouts_per_s']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['oversold_units']:>8}"
        )
    if json_path is not None:
        json_path.write_text("".join(json.dumps(r) + "\n" for r in results))
    if any(r["oversold_units"] or not r["ledger_matches_projection"] for r in results):
        raise typer.Exit(1)


def _isolated(base: str, clients: int, per_client: int) -> dict[str, Any]:
    schema = f"bench_checkout_{uuid.uuid4().hex[:10]}"
    url = create_schema(base, schema)
    try:
        upgrade(url)
        return run_level(url, clients, per_client)
    finally:
        drop_schema(base, schema)
