"""Runs in a child process of the oversell test: its own engine, one thread per checkout."""

from __future__ import annotations

import threading
from typing import Any

from commerce.adapters.db import make_engine, make_session_factory
from commerce.domain.errors import InsufficientStock
from commerce.domain.pricing import PricingRules
from commerce.service_layer.checkout import CheckoutRequest, place_order
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

ADDRESS = {"name": "R", "line1": "1", "city": "C", "postcode": "P"}


def run(url: str, user_ids: list[str], barrier: Any, results: Any) -> None:
    engine = make_engine(url, pool_size=len(user_ids))
    sessions = make_session_factory(engine)

    def one(user_id: str) -> None:
        req = CheckoutRequest(user_id, "race", "GB", ADDRESS)
        barrier.wait()
        try:
            order = place_order(SqlAlchemyUnitOfWork(sessions), req, PricingRules())
            results.put(("ok", user_id, order.id))
        except InsufficientStock:
            results.put(("sold_out", user_id, None))
        except Exception as e:
            results.put(("error", user_id, f"{type(e).__name__}: {e}"))

    threads = [threading.Thread(target=one, args=(u,)) for u in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
