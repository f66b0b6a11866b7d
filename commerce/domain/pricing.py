"""Tax and shipping. All money is Decimal, rounded half-up to cents at each documented step."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from commerce.domain.errors import InvalidInput

CENT = Decimal("0.01")
DEFAULT_WEIGHT_GRAMS = 500
MAX_AMOUNT = Decimal("9999999999.99")  # the largest amount a money column (12 digits) holds


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class PricingRules:
    """Configured per shop. Prices are tax-exclusive; tax applies to goods and shipping."""

    tax_rates: dict[str, Decimal] = dataclasses.field(
        default_factory=lambda: {
            "GB": Decimal("0.20"),
            "DE": Decimal("0.19"),
            "FR": Decimal("0.20"),
            "US": Decimal("0.00"),
            "IN": Decimal("0.18"),
        }
    )
    # (max weight in grams, fee); heavier than the last band pays the last fee
    shipping_bands: tuple[tuple[int, Decimal], ...] = (
        (1_000, Decimal("3.95")), (5_000, Decimal("6.95")), (30_000, Decimal("12.95")),
    )  # fmt: skip
    free_shipping_from: Decimal = Decimal("50.00")
    # The currency of the fees and threshold above, so the one the shop sells in.
    currency: str = "GBP"

    def check_currency(self, currency: str) -> None:
        """Refuse prices in a currency the shop's fees are not in."""
        if currency != self.currency:
            raise InvalidInput(
                f"this shop sells in {self.currency}, not {currency}",
                {"field": "currency", "allowed": [self.currency]},
            )

    def tax_rate(self, country: str) -> Decimal:
        rate = self.tax_rates.get(country.upper())
        if rate is None:
            raise InvalidInput("we do not ship to this country", {"field": "country"})
        return rate


@dataclasses.dataclass(frozen=True)
class Quote:
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal


def quote(
    rules: PricingRules, line_totals: Sequence[Decimal], weight_grams: int, country: str
) -> Quote:
    """subtotal = sum of line totals; shipping by weight band, free from the threshold;
    tax = round(rate x (subtotal + shipping)); total = subtotal + shipping + tax."""
    rate = rules.tax_rate(country)
    subtotal = cents(sum(line_totals, Decimal("0")))
    shipping = (
        Decimal("0.00") if subtotal >= rules.free_shipping_from else _band(rules, weight_grams)
    )
    tax = cents((subtotal + shipping) * rate)
    return Quote(subtotal, shipping, tax, subtotal + shipping + tax)


def _band(rules: PricingRules, weight_grams: int) -> Decimal:
    for limit, fee in rules.shipping_bands:
        if weight_grams <= limit:
            return fee
    return rules.shipping_bands[-1][1]
