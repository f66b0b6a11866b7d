"""Choose the event bus from its URL: the one place that maps URL schemes to adapters."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from pipelines.events.bus import EventBus
from pipelines.events.errors import UnsupportedBusUrl

# scheme -> "module:class". Imported on use, so the embedded default does not pay for
# kafka-python's import. Each class parses and validates the rest of its URL in ``from_url``.
BUSES: dict[str, str] = {
    "log": "pipelines.events.disklog:DiskLogEventBus",
    "kafka": "pipelines.events.kafka:KafkaEventBus",
}


def event_bus_from_url(url: str) -> EventBus:
    """Build the event bus an events URL names; no connection is made yet.

    Parameters
    ----------
    url
        ``log:///absolute/path`` for the embedded disk log, or
        ``kafka://host:port[,host:port...]`` for Kafka.

    Raises
    ------
    UnsupportedBusUrl
        If the scheme is unknown or the rest of the URL is malformed.
    """
    scheme = urlsplit(url).scheme
    if scheme not in BUSES:
        known = ", ".join(f"{name}://" for name in BUSES)
        raise UnsupportedBusUrl(f"unsupported events URL {url!r}: expected one of {known}", url=url)
    module_name, class_name = BUSES[scheme].split(":")
    bus_class = getattr(importlib.import_module(module_name), class_name)
    bus: EventBus = bus_class.from_url(url)
    return bus
