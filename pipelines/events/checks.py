"""Checks shared by the bus adapters: safe names, and validating a whole batch up front."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import ValidationError

from pipelines.events.envelope import Event
from pipelines.events.errors import InvalidEvent, InvalidName

# Names become directory names, Spark paths and Kafka names: no separators, no hidden prefixes.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is usable as a topic or consumer-group name."""
    return bool(_NAME_RE.match(name))


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a safe topic or group name, else raise ``InvalidName``."""
    if not is_valid_name(name):
        raise InvalidName(
            f"{kind} name {name!r} must match {_NAME_RE.pattern}", kind=kind, name=name
        )
    return name


def encode_events(events: Iterable[Event]) -> tuple[list[Event], list[str]]:
    """Validate every event and render its JSON (no newline); raise before anything is written.

    Raises
    ------
    InvalidEvent
        If an item is not an ``Event`` or does not pass the envelope's validation.
    """
    batch = list(events)
    lines: list[str] = []
    for position, event in enumerate(batch):
        if not isinstance(event, Event):
            raise InvalidEvent(f"item {position} is a {type(event).__name__}, not an Event")
        try:
            # Round-trip through the validator: model_construct() or mutation can bypass it.
            line = event.to_json()
            Event.model_validate_json(line)
        except (ValidationError, ValueError, TypeError) as e:
            raise InvalidEvent(f"event {position} is invalid: {e}", position=position) from e
        lines.append(line)
    return batch, lines
