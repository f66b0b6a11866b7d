"""Matching ids that arrive as text (URL paths, MLflow string columns) to a model's own ids."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_FLOAT_OF_AN_INTEGER = re.compile(r"(-?[0-9]+)\.0+")


class IdsByText:
    """A model's ids by their text: ``"12042"``, ``"12042.0"`` (an id column pandas made
    float) and the int 12042 are one customer.

    Parameters
    ----------
    ids : iterable
        The model's ids (``user_ids_`` or ``item_ids_``).
    """

    def __init__(self, ids: Iterable[Any]) -> None:
        self._table = {str(i): i for i in ids}

    def get(self, text: str) -> Any | None:
        """The id ``text`` names, or None if the model does not have it."""
        found = self._table.get(text)
        if found is None:
            integral = _integral_text(text)
            found = self._table.get(integral) if integral is not None else None
        return found

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.get(text) is not None


def _integral_text(text: str) -> str | None:
    """``"12042.0"`` -> ``"12042"`` (digits, then a point and zeros only); None for any other
    text. Parsed as text, not as a float: ``"9007199254740993.0"`` must not become another
    id by rounding, nor ``"1_2042"`` or ``"1.2042e4"`` id 12042."""
    match = _FLOAT_OF_AN_INTEGER.fullmatch(text)
    return None if match is None else str(int(match.group(1)))
