"""Named topics. Clickstream comes from clients; commerce is the shop's domain events."""

from __future__ import annotations

CLICKSTREAM = "clickstream"
COMMERCE = "commerce"
TOPICS: tuple[str, ...] = (CLICKSTREAM, COMMERCE)
