"""Matching ids that arrive as text (URL paths, MLflow string columns) to a model's own ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


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
    """``"12042.0"`` -> ``"12042"``; None for any other text."""
    try:
        number = float(text)
    except ValueError:
        return None
    return str(int(number)) if number.is_integer() else None
