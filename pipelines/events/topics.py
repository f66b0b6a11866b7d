"""Named topics. Clickstream comes from clients; commerce is the shop's domain events.

``CLICKSTREAM`` and ``COMMERCE`` are the topics' built-in names: what outbox rows and replays
carry, and the default bus names. A shop may name them differently on its bus
(``EMPORIUM_EVENTS__CLICKSTREAM_TOPIC``, ``…__COMMERCE_TOPIC``); every producer and consumer then
takes the bus names from one ``TopicNames`` handed in by the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass

CLICKSTREAM = "clickstream"
COMMERCE = "commerce"
TOPICS: tuple[str, ...] = (CLICKSTREAM, COMMERCE)


@dataclass(frozen=True)
class TopicNames:
    """The bus names of the two topics (by default, their built-in names)."""

    clickstream: str = CLICKSTREAM
    commerce: str = COMMERCE

    def on_bus(self, topic: str) -> str:
        """The bus name of a topic known by its built-in name; any other name is kept as is
        (an outbox row written for a topic of its own)."""
        return {CLICKSTREAM: self.clickstream, COMMERCE: self.commerce}.get(topic, topic)
