"""Text the database can hold."""

from __future__ import annotations

from typing import Any

NUL = "\x00"


def has_nul(value: Any) -> bool:
    """True when a string anywhere in ``value`` (dict keys included) holds a NUL character,
    which neither PostgreSQL text nor its JSON columns can store."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
