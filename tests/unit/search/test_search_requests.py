"""Request checks, text analysis and engine selection: no engine needed."""

from __future__ import annotations

import math

import pytest

from commerce.adapters.search import search_engine_from_url
from commerce.adapters.search.analysis import (
    auto_fuzziness,
    edit_distance,
    matches_nothing,
    synonym_segments,
    tokens,
)
from commerce.adapters.search.embedded import EmbeddedSearchEngine
from commerce.adapters.search.errors import (
    InvalidSearchRequest,
    SearchRefused,
    SearchUnavailable,
    UnknownSearchUrl,
)
from commerce.adapters.search.lucene import LuceneSearchEngine
from commerce.adapters.search.port import parse_sort, validate_request
from commerce.domain.search import SearchRequest, SortOrder

Json = dict[str, object]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (SearchRequest(min_price=10, max_price=5), "min_price"),
        (SearchRequest(min_price=-0.01), "min_price"),
        (SearchRequest(max_price=math.nan), "max_price"),
        (SearchRequest(page=0), "page"),
        (SearchRequest(size=0), "size"),
        (SearchRequest(size=101), "size"),
        (SearchRequest(page=11, size=100), "page"),
    ],
)
def test_bad_requests_name_the_field(request_: SearchRequest, field: str) -> None:
    with pytest.raises(InvalidSearchRequest) as caught:
        validate_request(request_)
    assert caught.value.details["field"] == field
    assert caught.value.code == "invalid_search_request"


def test_good_requests_pass() -> None:
    request = SearchRequest(min_price=5, max_price=5, page=10, size=100)
    assert validate_request(request) is request


def test_sort_names() -> None:
    assert parse_sort(None) is SortOrder.RELEVANCE
    assert parse_sort("price_desc") is SortOrder.PRICE_DESC
    with pytest.raises(InvalidSearchRequest, match="price_asc"):
        parse_sort("cheapest")


def test_tokens_fold_accents_and_drop_operators() -> None:
    assert tokens('Crème "Brûlée" AND (torch*)') == ["creme", "brulee", "and", "torch"]
    assert len(tokens("a " * 1000)) == 32
    assert tokens("Große Æbleskiver, Øresund") == ["grosse", "aebleskiver", "oresund"]


def test_only_non_blank_text_without_words_matches_nothing() -> None:
    assert matches_nothing("***") and matches_nothing("?! -- ()")
    assert not matches_nothing("") and not matches_nothing("   ")
    assert not matches_nothing("Straße") and not matches_nothing("日本語")


def test_tokens_keep_words_of_every_script() -> None:
    assert tokens("Чайник, ΚΑΦΈΣ; 日本語 e\u0301clair") == ["чайник", "καφέσ", "日本語", "eclair"]
    assert tokens("καφές") == tokens("ΚΑΦΈΣ")  # one sigma, final or not


def test_synonyms_expand_single_and_multi_word_terms() -> None:
    cheap, laptop = synonym_segments(["cheap", "laptop"])
    assert cheap == [("cheap",)] and laptop == [("laptop",), ("notebook",)]
    (phone,) = synonym_segments(["mobile", "phone"])  # one term: its words go together
    assert phone == [("mobile", "phone"), ("cellphone",), ("smartphone",)]
    assert synonym_segments(["solid", "state", "drive"])[0][0] == ("solid", "state", "drive")
    assert synonym_segments(["mouse"]) == [[("mouse",)]]


def test_fuzziness_matches_elasticsearch_auto() -> None:
    assert [auto_fuzziness(w) for w in ("tv", "mouse", "laptops")] == [0, 1, 2]
    assert edit_distance("lapptop", "laptop", 2) == 1
    assert edit_distance("hedaphones", "headphones", 2) == 1  # a swap is one edit
    assert edit_distance("mouse", "house", 0) == 1


def test_factory_maps_urls_to_engines(tmp_path: object) -> None:
    assert isinstance(search_engine_from_url("embedded://:memory:"), EmbeddedSearchEngine)
    assert isinstance(search_engine_from_url("opensearch://127.0.0.1:1"), LuceneSearchEngine)
    assert isinstance(search_engine_from_url("elasticsearch://127.0.0.1:1"), LuceneSearchEngine)
    with pytest.raises(UnknownSearchUrl):
        search_engine_from_url("solr://x")
    with pytest.raises(UnknownSearchUrl, match="names no index file"):
        search_engine_from_url("embedded://")  # was a silent in-memory index


class _IndexWithoutWords:
    """A node serving an index built before the ``words`` field: the typo lookup fails."""

    name = "opensearch"

    def __init__(self) -> None:
        self.searched: list[Json] = []

    def search(self, index: str, body: Json) -> Json:
        if "suggest" in body:
            raise SearchRefused("OpenSearch error 400: no mapping found for field [words]")
        self.searched.append(body)
        return {"hits": {"total": {"value": 0}, "hits": []}}


def test_an_index_built_before_the_words_field_is_still_searched() -> None:
    # Until the reindex after an upgrade, searches go on without typo tolerance.
    client = _IndexWithoutWords()
    engine = LuceneSearchEngine(client)  # type: ignore[arg-type]
    assert engine.search(SearchRequest(text="wireles mouse")).total == 0
    assert len(client.searched) == 1


class _NodeDown:
    name = "opensearch"

    def __init__(self) -> None:
        self.tries = 0

    def search(self, index: str, body: Json) -> Json:
        self.tries += 1
        raise SearchUnavailable("OpenSearch unreachable: connection refused")


def test_a_node_that_is_down_is_asked_once_per_search() -> None:
    """Only a refusal (an old index) is asked again without the typo lookup: asking a node
    that is down twice doubled the wait for the 503."""
    client = _NodeDown()
    engine = LuceneSearchEngine(client)  # type: ignore[arg-type]
    with pytest.raises(SearchUnavailable):
        engine.search(SearchRequest(text="wireles mouse"))
    assert client.tries == 1
