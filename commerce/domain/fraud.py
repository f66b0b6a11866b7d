"""Fraud screening before authorisation: explainable rules plus an anomaly score.

Each rule that fires adds its weight; the model adds ``model_weight x anomaly`` (anomaly in
0..1). At or above ``hold_at`` the order is held for review instead of being charged.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class FraudRules:
    max_orders_per_user_hour: int = 5
    max_orders_per_address_hour: int = 10
    amount_multiple: Decimal = Decimal("5")  # x the customer's average paid order
    min_history: int = 3  # paid orders needed before the amount rule applies
    weights: tuple[tuple[str, float], ...] = (
        ("user_velocity", 0.6),
        ("address_velocity", 0.6),
        ("amount_far_above_history", 0.5),
        ("country_mismatch", 0.3),
    )
    model_weight: float = 0.5
    hold_at: float = 0.6


@dataclasses.dataclass(frozen=True)
class OrderSignals:
    """What the screen knows about one checkout (gathered by the service layer)."""

    total: Decimal
    items: int
    hour: int
    country: str
    home_country: str | None
    user_orders_last_hour: int
    address_orders_last_hour: int
    paid_orders: int
    average_paid_total: Decimal | None


@dataclasses.dataclass(frozen=True)
class RiskAssessment:
    score: float
    reasons: tuple[str, ...]
    hold: bool


def fired_rules(rules: FraudRules, s: OrderSignals) -> list[str]:
    fired = []
    if s.user_orders_last_hour >= rules.max_orders_per_user_hour:
        fired.append("user_velocity")
    if s.address_orders_last_hour >= rules.max_orders_per_address_hour:
        fired.append("address_velocity")
    enough_history = s.paid_orders >= rules.min_history and s.average_paid_total
    if enough_history and s.total > rules.amount_multiple * (s.average_paid_total or 0):
        fired.append("amount_far_above_history")
    # Only ISO 3166 alpha-2 home countries compare (datasets may hold "United Kingdom").
    home = s.home_country or ""
    if len(home) == 2 and home.upper() != s.country.upper():
        fired.append("country_mismatch")
    return fired


def assess(rules: FraudRules, signals: OrderSignals, anomaly: float | None) -> RiskAssessment:
    reasons = fired_rules(rules, signals)
    weights = dict(rules.weights)
    score = sum(weights[r] for r in reasons)
    if anomaly is not None:
        score += rules.model_weight * max(0.0, min(1.0, anomaly))
        if anomaly >= 0.8:
            reasons.append("anomalous_order")
    return RiskAssessment(round(score, 3), tuple(reasons), score >= rules.hold_at)


def features(total: Decimal, items: int, hour: int) -> list[float]:
    """The anomaly model's inputs for one order."""
    return [math.log1p(float(total)), float(items), float(hour)]
