"""Screen an order before it is charged, and train the anomaly model on order history."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from commerce.adapters.fraud_model import IsolationForestScorer
from commerce.domain.fraud import FraudRules, OrderSignals, RiskAssessment, assess, features
from commerce.domain.orders import Order
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


class AnomalyScorer(Protocol):
    def anomaly(self, row: Sequence[float]) -> float: ...


@dataclasses.dataclass(frozen=True)
class FraudScreen:
    rules: FraudRules = dataclasses.field(default_factory=FraudRules)
    model: AnomalyScorer | None = None


def signals(uow: SqlAlchemyUnitOfWork, order: Order) -> OrderSignals:
    since = order.placed_at - timedelta(hours=1)
    user = uow.users.get(order.user_id)
    address = (
        str(order.shipping_address.get("line1", "")),
        str(order.shipping_address.get("postcode", "")),
    )
    # Held to commit: parallel checkouts to one address are counted one after the other
    # (counted side by side, each saw the others' orders missing and all passed).
    uow.orders.serialize_on(f"address\n{address[0]}\n{address[1]}")
    paid, average = uow.orders.paid_history(order.user_id)
    return OrderSignals(
        total=order.total,
        items=sum(line.quantity for line in order.lines),
        hour=order.placed_at.hour,
        country=order.country,
        home_country=user.country if user else None,
        user_orders_last_hour=uow.orders.count_since(since, user_id=order.user_id),
        address_orders_last_hour=uow.orders.count_since(since, address=address),
        paid_orders=paid,
        average_paid_total=average,
    )


def screen(uow: SqlAlchemyUnitOfWork, order: Order, config: FraudScreen) -> RiskAssessment:
    s = signals(uow, order)
    anomaly = None
    if config.model is not None:
        anomaly = config.model.anomaly(features(s.total, s.items, s.hour))
    return assess(config.rules, s, anomaly)


def training_rows(uow_factory: Callable[[], SqlAlchemyUnitOfWork]) -> list[list[float]]:
    """Feature rows of paid orders (checkout and historical) for the anomaly model."""
    with uow_factory() as uow:
        rows = uow.orders.training_rows()
    return [features(total, items, placed.hour) for total, items, placed in rows]


def train_anomaly_model(uow_factory: Callable[[], SqlAlchemyUnitOfWork], path: Path) -> int:
    """Fit the IsolationForest on paid order history and save it to ``path``.

    Returns the number of orders it learned from; raises ValueError with too little history.
    """
    rows = training_rows(uow_factory)
    IsolationForestScorer.fit(rows).save(path)
    return len(rows)


def load_anomaly_model(path: Path) -> AnomalyScorer | None:
    """The saved model, or None when none has been trained yet (rules still apply)."""
    return IsolationForestScorer.load(path) if path.exists() else None
