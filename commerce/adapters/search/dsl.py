"""Elasticsearch query DSL, built once by pure functions: searches, typo lookups, suggest
(the index's analysers and mappings: ``mapping``).

Both Elasticsearch-compatible clients (opensearch-py and elasticsearch 9) send exactly these
dicts; unit tests pin the JSON. The embedded engine mirrors the same scoring in SQL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from commerce.adapters.search.analysis import (
    MAX_EXPANSIONS,
    auto_fuzziness,
    closest,
    matches_nothing,
    tokens,
)
from commerce.adapters.search.mapping import AUTOCOMPLETE_MAX_GRAM, MAX_TOKEN_LENGTH, PRICE_SCALE
from commerce.domain.search import (
    MAX_QUERY_TERMS,
    QueryProfile,
    SearchRequest,
    SortOrder,
)

Json = dict[str, Any]

FACET_FIELDS = ("category", "brand")
FACET_SIZE = 20


@dataclass(frozen=True)
class Weights:
    """Tuned on the first (design) half of the CrowdFlower queries only; see the README."""

    name: float = 3.0
    description: float = 1.0
    category: float = 1.0
    brand: float = 1.0
    fuzzy: float = 0.3  # typo-tolerant variant of the keyword clause
    partial: float = 0.3  # edge n-grams of name words: "lapt" finds "laptop"
    coverage: float = 1.0  # every query word present (cross-field)
    exact: float = 1.0  # unstemmed words of the name
    exact_all: float = 1.0  # every unstemmed query word in the name
    exact_phrase: float = 3.0  # the words in order, adjacent, in the name
    in_stock: float = 1.5  # multiplier for items that can be bought now
    popularity_factor: float = 0.1  # log10(2 + factor * popularity) multiplier


WEIGHTS = Weights()


def search_body(
    request: SearchRequest, weights: Weights = WEIGHTS, variants: Sequence[str] = ()
) -> Json:
    """The ``_search`` body for one request (already validated); ``variants`` are the index
    words close to the query's typos (``typo_variants``)."""
    body: Json = {
        "query": _query(request, weights, variants),
        "sort": _sort(request.sort),
        "from": request.offset,
        "size": request.size,
        "track_total_hits": True,
        "_source": ["id", "name", "description", "price", "category", "brand", "in_stock"],
    }
    if request.facets:
        body["aggs"] = {
            f: {
                "terms": {
                    "field": f,
                    "size": FACET_SIZE,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
            for f in FACET_FIELDS
        }
    return body


def _query(request: SearchRequest, weights: Weights, variants: Sequence[str]) -> Json:
    filters = filter_clauses(request)
    text = " ".join(tokens(request.text, MAX_QUERY_TERMS))
    everything: Json = {"match_none": {}} if matches_nothing(request.text) else {"match_all": {}}
    if request.profile is QueryProfile.BM25:
        match: Json = {"match": {"name.plain": text}} if text else everything
        return {"bool": {"must": [match], "filter": filters}}
    relevance = text_query(text, weights, variants) if text else everything
    return {
        "function_score": {
            "query": {"bool": {"must": [relevance], "filter": filters}},
            "functions": ranking_functions(weights),
            "score_mode": "multiply",
            "boost_mode": "multiply",
        }
    }


def text_query(text: str, weights: Weights = WEIGHTS, variants: Sequence[str] = ()) -> Json:
    """The shipped keyword query: a sum of clauses, mirrored clause by clause by the embedded
    engine (``embedded_query._shipped``).

    Stemmed words across fields, the same with the typos' ``variants`` added, name words
    starting with the
    typed words (partial words), every word present across fields (coverage), and on the
    unstemmed name: any word, every word, and the words as a phrase.
    """
    fields = [
        f"name^{weights.name}",
        f"description^{weights.description}",
        f"category.text^{weights.category}",
        f"brand.text^{weights.brand}",
    ]
    keyword = {"query": text, "fields": fields, "type": "most_fields"}
    # Not ``fuzziness``: it would widen words the catalog holds ("mum" to every "mug") and
    # measure edits between stems ("deocrat" is two from "decor"), unlike the embedded index.
    fuzzy = {**keyword, "query": " ".join([text, *variants]), "boost": weights.fuzzy}
    optional: list[tuple[float, Json]] = [
        (weights.coverage, {"multi_match": {**keyword, "type": "cross_fields", "operator": "and"}}),
        (weights.exact, {"match": {"name.plain": {"query": text}}}),
        (weights.exact_all, {"match": {"name.plain": {"query": text, "operator": "and"}}}),
        (weights.exact_phrase, {"match_phrase": {"name.plain": {"query": text}}}),
    ]
    should: list[Json] = [
        {"multi_match": keyword},
        {"multi_match": fuzzy},
        partial_words(text, weights.partial),
    ]
    should += [_boosted(clause, boost) for boost, clause in optional if boost]
    return {"bool": {"should": should, "minimum_should_match": 1}}


def partial_words(text: str, boost: float | None = None) -> Json:
    """Names holding a word that starts with each of the words of ``text``.

    The edge n-grams keep the first ``AUTOCOMPLETE_MAX_GRAM`` letters of a name word, so a
    longer typed word ("geschirrspülmaschinen") matched nothing there, where the embedded
    index completes it: it is cut to that length for the n-grams, and must also start a
    word of the unstemmed name (a ``prefix`` filter, exact as the embedded prefix query).
    """
    words = text.split()
    cut = " ".join(word[:AUTOCOMPLETE_MAX_GRAM] for word in words)
    match: Json = {"query": cut, "operator": "and"}
    if boost is not None:
        match["boost"] = boost
    clause: Json = {"match": {"name.autocomplete": match}}
    long = [word for word in words if len(word) > AUTOCOMPLETE_MAX_GRAM]
    if not long:
        return clause
    # No indexed word is longer than MAX_TOKEN_LENGTH; a longer prefix (an automaton of over
    # 1,000 states) is refused by the node.
    values = dict.fromkeys(word[:MAX_TOKEN_LENGTH] for word in long)
    prefixes = [{"prefix": {"name.plain": {"value": value}}} for value in values]
    return {"bool": {"must": [clause], "filter": prefixes}}


def typo_suggest(words: Sequence[str]) -> Json | None:
    """The ``suggest`` section of a search looking up index words close to each query word
    the index does not hold (``suggest_mode: missing``), unstemmed, as the embedded index
    looks typos up in its vocabulary; None if no word is long enough to have a typo. More
    candidates than kept: ``typo_variants`` picks."""
    suggest = {
        str(i): {
            "text": word,
            "term": {
                "field": "words",
                "suggest_mode": "missing",
                "max_edits": edits,
                "prefix_length": 1,
                "min_word_length": 3,
                "size": 5 * MAX_EXPANSIONS,
                "accuracy": 0.0,
                "string_distance": "damerau_levenshtein",
            },
        }
        for i, word in enumerate(words)
        if (edits := auto_fuzziness(word))
    }
    return suggest or None


def typo_variants(words: Sequence[str], response: Json) -> list[str]:
    """The words to add for the typos, from the response to a search with ``typo_suggest``:
    the nearest candidates of each word, chosen as the embedded index chooses them."""
    found: set[str] = set()
    for key, entries in response.get("suggest", {}).items():
        options = [option["text"] for entry in entries for option in entry["options"]]
        found.update(closest(words[int(key)], options))
    return sorted(found)


def _boosted(clause: Json, boost: float) -> Json:
    """``clause`` with ``boost`` set on its single query (``{"match": {field: {...}}}`` shape)."""
    ((kind, inner),) = clause.items()
    if kind == "multi_match":
        return {kind: {**inner, "boost": boost}}
    ((field, params),) = inner.items()
    return {kind: {field: {**params, "boost": boost}}}


def ranking_functions(weights: Weights = WEIGHTS) -> list[Json]:
    """Multipliers applied to the keyword score: in-stock items first, then popular ones."""
    return [
        {"filter": {"term": {"in_stock": True}}, "weight": weights.in_stock},
        {
            "field_value_factor": {
                "field": "popularity",
                "factor": weights.popularity_factor,
                "modifier": "log2p",
                "missing": 0,
            }
        },
    ]


def price_range_cents(request: SearchRequest) -> tuple[int | None, int | None]:
    """The inclusive price range in whole hundredths: a bound between two of them rounds
    inward, so ``max_price=399.995`` excludes a product priced 400.00."""
    low = high = None
    if request.min_price is not None:
        low = math.ceil(Decimal(repr(request.min_price)) * PRICE_SCALE)
    if request.max_price is not None:
        high = math.floor(Decimal(repr(request.max_price)) * PRICE_SCALE)
    return low, high


def filter_clauses(request: SearchRequest) -> list[Json]:
    """Exact filters: price range (inclusive), categories, brands."""
    clauses: list[Json] = []
    price: Json = {}
    low, high = price_range_cents(request)
    # Half a cent outside the whole-cent bound: the server scales the bound by PRICE_SCALE in
    # binary floating point (4.1 * 100 = 409.99999999999994) before it rounds it inward.
    if low is not None:
        price["gte"] = (low - 0.5) / PRICE_SCALE
    if high is not None:
        price["lte"] = (high + 0.5) / PRICE_SCALE
    if price:
        clauses.append({"range": {"price": price}})
    if request.categories:
        clauses.append({"terms": {"category": list(request.categories)}})
    if request.brands:
        clauses.append({"terms": {"brand": list(request.brands)}})
    if request.product_ids:
        clauses.append({"terms": {"id": list(request.product_ids)}})
    return clauses


_SORTS: dict[SortOrder, list[Json]] = {
    SortOrder.RELEVANCE: [{"_score": "desc"}],
    SortOrder.PRICE_ASC: [{"price": "asc"}],
    SortOrder.PRICE_DESC: [{"price": "desc"}],
    SortOrder.POPULARITY: [{"popularity": "desc"}],
    SortOrder.RATING: [{"rating": "desc"}],
    SortOrder.NEWEST: [{"created_at": "desc"}],
}


def _sort(order: SortOrder) -> list[Json]:
    # The id tie-break makes paging stable and both engines agree on equal scores.
    return [*_SORTS[order], {"id": "asc"}]


def suggest_body(prefix: str, size: int) -> Json:
    """Names whose words start with the typed words (edge n-grams), popular ones first."""
    text = " ".join(tokens(prefix, MAX_QUERY_TERMS))
    return {
        "size": size * 3,  # several products may share a name
        "_source": ["name"],
        "query": {
            "function_score": {
                "query": partial_words(text),
                "functions": ranking_functions(),
                "score_mode": "multiply",
                "boost_mode": "multiply",
            }
        },
        "sort": [{"_score": "desc"}, {"id": "asc"}],
    }
