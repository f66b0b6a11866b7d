"""Replays: real datasets turned into events with their original timestamps.

Each dataset module has ``events(data_dir) -> Iterator[TopicEvent]`` in timestamp order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from pipelines.replay import online_retail, rees46, taobao
from pipelines.replay.common import TopicEvent

REPLAYS: dict[str, Callable[[Path], Iterator[TopicEvent]]] = {
    "online-retail": online_retail.events,
    "taobao": taobao.events,
    "rees46": rees46.events,
}

__all__ = ["REPLAYS", "TopicEvent"]
