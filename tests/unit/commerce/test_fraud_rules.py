"""Fraud rules and scores on hand-built signals."""

from __future__ import annotations

from decimal import Decimal

from commerce.domain.fraud import FraudRules, OrderSignals, assess

QUIET = OrderSignals(
    total=Decimal("40"), items=2, hour=14, country="GB", home_country="GB",
    user_orders_last_hour=0, address_orders_last_hour=0, paid_orders=4,
    average_paid_total=Decimal("35"),
)  # fmt: skip


def _with(**changes: object) -> OrderSignals:
    return OrderSignals(**{**QUIET.__dict__, **changes})  # type: ignore[arg-type]


def test_an_ordinary_order_passes() -> None:
    risk = assess(FraudRules(), QUIET, anomaly=0.1)
    assert risk.reasons == () and not risk.hold and risk.score == 0.05


def test_velocity_alone_holds() -> None:
    risk = assess(FraudRules(), _with(user_orders_last_hour=5), anomaly=None)
    assert risk.reasons == ("user_velocity",) and risk.hold


def test_amount_rule_needs_history() -> None:
    big = _with(total=Decimal("500"))
    assert "amount_far_above_history" in assess(FraudRules(), big, None).reasons
    newcomer = _with(total=Decimal("500"), paid_orders=1)
    assert assess(FraudRules(), newcomer, None).reasons == ()


def test_country_mismatch_plus_anomaly_holds_but_either_alone_does_not() -> None:
    abroad = _with(home_country="FR")
    assert not assess(FraudRules(), abroad, anomaly=0.2).hold
    assert not assess(FraudRules(), QUIET, anomaly=0.9).hold
    both = assess(FraudRules(), abroad, anomaly=0.9)
    assert both.hold and set(both.reasons) == {"country_mismatch", "anomalous_order"}
