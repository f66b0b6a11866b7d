"""SQL for the embedded (SQLite FTS5) index: the same clauses and weights as ``dsl.text_query``.

Each clause of the Elasticsearch query becomes one FTS5 ``MATCH`` in a CTE with its own BM25
score; the final score adds them with the same boosts and multiplies the same ranking
functions, so both engines order results alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from commerce.adapters.search.analysis import matches_nothing, synonym_segments, tokens
from commerce.adapters.search.dsl import WEIGHTS, Weights, price_range_cents
from commerce.domain.search import QueryProfile, SearchRequest, SortOrder

# Fuzzy lookup: a word -> close words of the index vocabulary (without the word itself).
FuzzyLookup = Callable[[str], list[str]]

_ORDER = {
    SortOrder.RELEVANCE: "score DESC",
    SortOrder.PRICE_ASC: "d.price_cents ASC",
    SortOrder.PRICE_DESC: "d.price_cents DESC",
    SortOrder.POPULARITY: "d.popularity DESC",
    SortOrder.RATING: "d.rating DESC",
    SortOrder.NEWEST: "d.created_at DESC",
}


@dataclass
class CompiledQuery:
    """The score CTE, the score expression and the WHERE filters, plus their parameters."""

    clauses: list[str] = field(default_factory=list)  # one scored FTS5 match each
    score: str = "1.0"
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def sql(self, select: str, tail: str = "") -> str:
        """The full statement. Matches of every clause are summed per row in one CTE."""
        if not self.clauses:
            where = f" WHERE {' AND '.join(self.where)}" if self.where else ""
            return f"SELECT {select} FROM {{docs}} d{where} {tail}"
        scores = self.clauses[0]  # one match has one row per product
        if len(self.clauses) > 1:
            union = " UNION ALL ".join(self.clauses)
            scores = f"SELECT rowid, sum(s) AS s FROM ({union}) GROUP BY rowid"
        # MATERIALIZED: flattened into the outer query, bm25() loses its MATCH context.
        with_ = f"WITH sc AS MATERIALIZED ({scores}) "
        where = f" WHERE {' AND '.join(self.where)}" if self.where else ""
        return f"{with_}SELECT {select} FROM sc JOIN {{docs}} d ON d.rowid = sc.rowid{where} {tail}"


def quote(word: str) -> str:
    # Tokens hold letters, digits and marks only (never '"'), so quoting cannot be escaped;
    # FTS5 operators stay inert.
    return f'"{word}"'


def order_by(sort: SortOrder) -> str:
    return f"ORDER BY {_ORDER[sort]}, d.id ASC"


def compile_request(
    request: SearchRequest, fuzzy: FuzzyLookup, weights: Weights = WEIGHTS
) -> CompiledQuery:
    """The SQL answering ``request``; tables appear as ``{fts}``, ``{plain}``, ``{docs}``."""
    query = CompiledQuery()
    words = tokens(request.text)
    if words and request.profile is QueryProfile.BM25:
        _bm25(query, words)
    elif words:
        _shipped(query, words, fuzzy, weights)
    elif matches_nothing(request.text):
        query.where.append("0")
    if request.profile is QueryProfile.SHIPPED:
        query.score = f"({query.score}) * {_ranking(weights)}"
    _filters(query, request)
    return query


def _clause(query: CompiledQuery, table: str, boost: float, weights: str, match: str) -> None:
    query.clauses.append(
        f"SELECT rowid, {boost} * -bm25({{{table}}}, {weights}) AS s "
        f"FROM {{{table}}} WHERE {{{table}}} MATCH ?"
    )
    query.params.append(match)


def _bm25(query: CompiledQuery, words: list[str]) -> None:
    _clause(query, "plain", 1.0, "1.0", "{name} : (" + " OR ".join(map(quote, words)) + ")")
    query.score = "sc.s"


def _shipped(query: CompiledQuery, words: list[str], fuzzy: FuzzyLookup, w: Weights) -> None:
    cols = f"{w.name}, {w.description}, {w.category}, {w.brand}"
    alternatives = _alternatives(words)
    # The typos' close words are synonyms' words too: Elasticsearch analyses them with the
    # query ("comptuer" -> "computer" finds a "PC").
    variants = sorted({v for word in words for v in fuzzy(word)})
    quoted = list(map(quote, words))
    # Partial words match the unstemmed name, as Elasticsearch's edge n-grams of the plain
    # words do: "gamin" is no prefix of the stem "game" of "gaming".
    clauses: list[tuple[str, float, str, str]] = [
        ("fts", 1.0, cols, " OR ".join(alternatives)),
        ("fts", w.fuzzy, cols, " OR ".join(_alternatives(words + variants))),
        ("plain", w.partial, str(w.name), _prefixes(words)),
        ("fts", w.coverage, cols, " AND ".join(_any_of(seg) for seg in synonym_segments(words))),
        ("plain", w.exact, "1.0", "{name} : (" + " OR ".join(quoted) + ")"),
        ("plain", w.exact_all, "1.0", "{name} : (" + " AND ".join(quoted) + ")"),
        ("plain", w.exact_phrase, "1.0", "{name} : " + quote(" ".join(words))),
    ]
    # A zero boost drops a clause, except the three that decide what matches at all.
    for i, (table, boost, column_weights, match) in enumerate(clauses):
        if boost or i < 3:
            _clause(query, table, boost, column_weights, match)
    query.score = "sc.s"


def _alternatives(words: list[str]) -> list[str]:
    """The words and the synonyms of the terms among them, for an ``OR``. The words of a
    multi-word term ("usb stick") match only together, as in Elasticsearch: "stick" alone
    is no USB stick."""
    return [_phrase(term) for segment in synonym_segments(words) for term in segment]


def _prefixes(words: list[str]) -> str:
    """Names holding a word that starts with each of ``words`` (for the unstemmed table)."""
    return "{name} : (" + " AND ".join(quote(x) + "*" for x in words) + ")"


def _phrase(words: tuple[str, ...]) -> str:
    return quote(" ".join(words))


def _any_of(terms: list[tuple[str, ...]]) -> str:
    return "(" + " OR ".join(map(_phrase, terms)) + ")"


def _ranking(w: Weights) -> str:
    return (
        f"(CASE WHEN d.stock > 0 THEN {w.in_stock} ELSE 1.0 END)"
        f" * log10(2 + {w.popularity_factor} * d.popularity)"
    )


def _filters(query: CompiledQuery, request: SearchRequest) -> None:
    low, high = price_range_cents(request)
    if low is not None:
        query.where.append("d.price_cents >= ?")
        query.params.append(low)
    if high is not None:
        query.where.append("d.price_cents <= ?")
        query.params.append(high)
    for column, values in (
        ("category", request.categories),
        ("brand", request.brands),
        ("id", request.product_ids),
    ):
        if values:
            query.where.append(f"d.{column} IN ({', '.join('?' for _ in values)})")
            query.params.extend(values)


def suggest_query(prefix: str) -> str | None:
    """FTS5 match, on the unstemmed name, for names whose words start with the typed words,
    or None if nothing was typed."""
    words = tokens(prefix)
    return _prefixes(words) if words else None
