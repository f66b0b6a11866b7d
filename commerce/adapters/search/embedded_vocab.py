"""Typo tolerance for the embedded index: close words from the index's own vocabulary."""

from __future__ import annotations

import sqlite3
import threading

from commerce.adapters.search.analysis import auto_fuzziness, closest


class Vocabularies:
    """Each index's words (unstemmed), grouped by first letter, read once and kept."""

    def __init__(self) -> None:
        self._by_index: dict[str, dict[str, set[str]]] = {}
        self._lock = threading.Lock()

    def forget(self, index: str) -> None:
        with self._lock:
            self._by_index.pop(index, None)

    def fuzzy(self, conn: sqlite3.Connection, index: str, word: str) -> list[str]:
        """Index words within ``fuzziness: AUTO`` edits of an unknown ``word`` (same first letter).

        Words the index knows are not expanded: it keeps queries fast and precise, and a typo
        is by definition a word the catalog does not contain.
        """
        words = self._words(conn, index).get(word[:1], set())
        if auto_fuzziness(word) == 0 or word in words:
            return []
        return closest(word, words)

    def _words(self, conn: sqlite3.Connection, index: str) -> dict[str, set[str]]:
        with self._lock:
            known = self._by_index.get(index)
        if known is not None:
            return known
        fresh: dict[str, set[str]] = {}
        for (term,) in conn.execute(f'SELECT term FROM "{index}__vocab"'):
            fresh.setdefault(term[:1], set()).add(term)
        with self._lock:
            self._by_index[index] = fresh
        return fresh
