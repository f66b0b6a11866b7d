"""The event contract: one envelope, named topics, and the ``EventBus`` port with its adapters."""

from pipelines.events.bus import ConsumedEvent, EventBus
from pipelines.events.envelope import ID_MAX_LENGTH, SCHEMA_VERSION, Event, partition_key
from pipelines.events.topics import CLICKSTREAM, COMMERCE, TOPICS

__all__ = [
    "CLICKSTREAM",
    "COMMERCE",
    "ID_MAX_LENGTH",
    "SCHEMA_VERSION",
    "TOPICS",
    "ConsumedEvent",
    "Event",
    "EventBus",
    "partition_key",
]
