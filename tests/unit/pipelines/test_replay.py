from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.datasets import online_retail as ds
from pipelines.events import CLICKSTREAM, COMMERCE, Event
from pipelines.replay import online_retail, rees46, taobao
from pipelines.replay.common import TopicEvent
from pipelines.replay.runner import replay

T0 = datetime(2011, 1, 1, tzinfo=UTC)


class FakeBus:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Event]]] = []

    def publish(self, topic: str, events: Iterable[Event]) -> None:
        self.calls.append((topic, list(events)))


def _stream(n: int, gap_s: float = 60.0) -> Iterator[TopicEvent]:
    for i in range(n):
        topic = COMMERCE if i % 3 == 0 else CLICKSTREAM
        yield TopicEvent(topic, Event(type="page_view", ts=T0 + timedelta(seconds=gap_s * i)))


def test_replay_batches_and_limits() -> None:
    bus = FakeBus()
    stats = replay(_stream(100), bus, limit=25, batch_size=10)  # type: ignore[arg-type]
    assert stats.total == 25 and sum(len(e) for _, e in bus.calls) == 25
    assert max(len(e) for _, e in bus.calls) <= 10


def test_speedup_paces_by_event_time() -> None:
    bus, waits = FakeBus(), []
    replay(_stream(4, gap_s=60), bus, speedup=60.0, sleep=waits.append)  # type: ignore[arg-type]
    # One minute of shop time per second. The fake sleep lets no time pass, so each wait is
    # the event's full offset from the start.
    assert waits == pytest.approx([1.0, 2.0, 3.0], abs=0.05)


def test_taobao_maps_behaviours_and_drops_the_cut_line(data_dir: Path) -> None:
    counts = Counter((t, e.type) for t, e in taobao.events(data_dir))
    assert counts == {
        (CLICKSTREAM, "product_view"): 75_872,
        (CLICKSTREAM, "add_to_cart"): 4_497,
        (CLICKSTREAM, "add_to_wishlist"): 2_356,
        (COMMERCE, "OrderPlaced"): 1_580,  # 1,750 buys in 1,580 (user, second) baskets
    }


def test_taobao_buys_of_one_shopper_in_one_second_are_one_order(tmp_path: Path) -> None:
    rows = [
        "1,100,9,buy,1511544070", "2,100,9,buy,1511544070", "1,200,9,pv,1511544070",
        "1,200,9,buy,1511544070", "1,100,9,buy,1511544070", "1,300,9,buy,1511544071",
    ]  # fmt: skip
    path = tmp_path / "taobao-userbehavior-head" / "UserBehavior.csv"
    path.parent.mkdir()
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    orders = [e for _, e in taobao.events(tmp_path) if e.type == "OrderPlaced"]
    lines = [[(ln["product_id"], ln["quantity"]) for ln in o.payload["lines"]] for o in orders]
    got = [(o.user_id, o.payload["order_id"], ln) for o, ln in zip(orders, lines, strict=True)]
    assert got == [
        ("1", "taobao-0", [("100", 2), ("200", 1)]),
        ("2", "taobao-1", [("100", 1)]),
        ("1", "taobao-5", [("300", 1)]),
    ]


def test_rees46_keeps_sessions_prices_brands(data_dir: Path) -> None:
    events = [e for _, e in rees46.events(data_dir)]
    counts = Counter(e.type for e in events)
    assert (counts["product_view"], counts["add_to_cart"], counts["OrderPlaced"]) == (4915, 50, 54)
    first_view = next(e for e in events if e.type == "product_view")
    assert first_view.session_id == "72d76fde-8bb3-4e00-8c23-a032dfed738c"
    assert first_view.payload["brand"] == "shiseido" and first_view.payload["price"] == 35.79


def test_online_retail_orders_follow_the_shared_cleaning_rule(data_dir: Path) -> None:
    clean = ds.clean_online_retail(ds.load_online_retail(data_dir))
    orders = [e for _, e in online_retail.events(data_dir) if e.type == "OrderPlaced"]
    assert len(orders) == clean[ds.INVOICE_COL].nunique()
    assert sum(len(o.payload["lines"]) for o in orders) == len(clean)
    assert len({o.event_id for o in orders}) == len(orders)
    assert all(not o.payload["order_id"].startswith("C") for o in orders)


@pytest.mark.parametrize("module", [online_retail, taobao, rees46])
def test_replays_are_in_time_order_with_stable_ids(module: object, data_dir: Path) -> None:
    first = [te.event for _, te in zip(range(500), module.events(data_dir), strict=False)]  # type: ignore[attr-defined]
    again = [te.event for _, te in zip(range(500), module.events(data_dir), strict=False)]  # type: ignore[attr-defined]
    assert [e.ts for e in first] == sorted(e.ts for e in first)
    assert [e.event_id for e in first] == [e.event_id for e in again]
