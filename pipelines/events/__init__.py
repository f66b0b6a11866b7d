"""The event contract: one envelope, named topics, the ``EventBus`` port with its adapters, and
the validation of client events (``clickstream``) the API publishes."""

from pipelines.events.bus import ConsumedEvent, EventBus
from pipelines.events.envelope import ID_MAX_LENGTH, SCHEMA_VERSION, Event, partition_key
from pipelines.events.topics import CLICKSTREAM, COMMERCE, TOPICS, TopicNames

__all__ = [
    "CLICKSTREAM",
    "COMMERCE",
    "ID_MAX_LENGTH",
    "SCHEMA_VERSION",
    "TOPICS",
    "ConsumedEvent",
    "Event",
    "EventBus",
    "TopicNames",
    "partition_key",
]
