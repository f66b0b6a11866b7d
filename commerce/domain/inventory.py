"""Stock as an append-only ledger of moves; each move's effect on the projection is fixed here."""

from __future__ import annotations

import dataclasses

from commerce.domain.errors import InvalidInput

RECEIVED, RESERVED, RELEASED = "received", "reserved", "released"
SOLD, RETURNED, ADJUSTED = "sold", "returned", "adjusted"
MAX_MOVE = 1_000_000
# Stock received or counted in stops here, leaving the 32-bit columns room for every unit
# sold to come back (a cancel or return must never fail for want of room).
MAX_ON_HAND = 1_000_000_000
DEFAULT_LOW_STOCK_THRESHOLD = 5

# kind -> (on_hand, reserved, available) multipliers of the quantity
_EFFECTS: dict[str, tuple[int, int, int]] = {
    RECEIVED: (1, 0, 1),
    RESERVED: (0, 1, -1),
    RELEASED: (0, -1, 1),
    SOLD: (-1, -1, 0),
    RETURNED: (1, 0, 1),
    ADJUSTED: (1, 0, 1),
}


@dataclasses.dataclass(frozen=True)
class StockMove:
    """One ledger entry's effect. Only ``adjusted`` may be negative."""

    kind: str
    quantity: int

    def __post_init__(self) -> None:
        if self.kind not in _EFFECTS:
            raise InvalidInput("unknown stock move", {"kind": self.kind})
        if not isinstance(self.quantity, int) or abs(self.quantity) > MAX_MOVE:
            raise InvalidInput("quantity out of range", {"field": "quantity"})
        if self.quantity == 0 or (self.quantity < 0 and self.kind != ADJUSTED):
            raise InvalidInput("quantity must be positive", {"field": "quantity"})

    @property
    def on_hand_delta(self) -> int:
        return _EFFECTS[self.kind][0] * self.quantity

    @property
    def reserved_delta(self) -> int:
        return _EFFECTS[self.kind][1] * self.quantity

    @property
    def available_delta(self) -> int:
        return _EFFECTS[self.kind][2] * self.quantity


@dataclasses.dataclass(frozen=True)
class StockLevel:
    product_id: int
    sku: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int


def crossed_low(before: int, after: int, threshold: int) -> bool:
    """True once, when availability falls to the threshold (not on every sale below it)."""
    return before > threshold >= after
