"""The Elasticsearch DSL the engines send, pinned as JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from commerce.adapters.search import dsl, mapping
from commerce.domain.search import ProductDoc, QueryProfile, SearchRequest, SortOrder


def test_seed_example_is_a_name_match_with_an_inclusive_price_range() -> None:
    body = dsl.search_body(
        SearchRequest(text="laptop", min_price=30000, max_price=60000, profile=QueryProfile.BM25)
    )
    assert body["query"] == {
        "bool": {
            "must": [{"match": {"name.plain": "laptop"}}],
            "filter": [{"range": {"price": {"gte": 29999.995, "lte": 60000.005}}}],
        }
    }


def test_shipped_query_has_every_clause_and_ranking_multipliers() -> None:
    body = dsl.search_body(SearchRequest(text="Wireless  Mouse!", categories=("Audio",)))
    scored = body["query"]["function_score"]
    should = scored["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[0] == {
        "multi_match": {
            "query": "wireless mouse",
            "fields": ["name^3.0", "description^1.0", "category.text^1.0", "brand.text^1.0"],
            "type": "most_fields",
        }
    }
    assert should[1]["multi_match"]["query"] == "wireless mouse"
    assert "fuzziness" not in should[1]["multi_match"]
    assert should[2] == {
        "match": {"name.autocomplete": {"query": "wireless mouse", "operator": "and", "boost": 0.3}}
    }
    assert {"match_phrase": {"name.plain": {"query": "wireless mouse", "boost": 3.0}}} in should
    assert scored["query"]["bool"]["filter"] == [{"terms": {"category": ["Audio"]}}]
    assert scored["functions"][0] == {"filter": {"term": {"in_stock": True}}, "weight": 1.5}
    assert scored["score_mode"] == scored["boost_mode"] == "multiply"


def test_a_word_longer_than_the_edge_ngrams_is_cut_and_must_start_a_name_word() -> None:
    long = "geschirrspulmaschinenreiniger"  # 29 letters; the n-grams hold the first 20
    body = dsl.suggest_body(f"Acme {long}", 5)["query"]["function_score"]["query"]
    assert body == {
        "bool": {
            "must": [
                {
                    "match": {
                        "name.autocomplete": {
                            "query": f"acme {long[: mapping.AUTOCOMPLETE_MAX_GRAM]}",
                            "operator": "and",
                        }
                    }
                }
            ],
            "filter": [{"prefix": {"name.plain": {"value": long}}}],
        }
    }
    short = dsl.suggest_body("acme tab", 5)["query"]["function_score"]["query"]
    assert short == {"match": {"name.autocomplete": {"query": "acme tab", "operator": "and"}}}


def test_typos_are_looked_up_unstemmed_then_searched_as_words() -> None:
    # Only words the index lacks are looked up, as the embedded index does: "ab" is too short
    # to have a typo, and the node answers for the other words.
    suggest = dsl.typo_suggest(["deocration", "ab", "mug"])
    assert suggest is not None and set(suggest) == {"0", "2"}
    term = suggest["0"]["term"]
    assert (term["field"], term["suggest_mode"], term["max_edits"]) == ("words", "missing", 2)
    assert suggest["2"]["term"]["max_edits"] == 1
    assert dsl.typo_suggest(["ab", "x"]) is None
    options = [{"text": t} for t in ("decorations", "decoration", "deodorant", "xdecoration")]
    response = {"suggest": {"0": [{"options": options}], "2": [{"options": []}]}}
    variants = dsl.typo_variants(["deocration", "ab", "mug"], response)
    assert variants == ["decoration", "decorations"]  # same first letter, within 2 edits
    body = dsl.search_body(SearchRequest(text="deocration"), variants=variants)
    should = body["query"]["function_score"]["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[1]["multi_match"]["query"] == "deocration decoration decorations"


def test_empty_text_browses_everything() -> None:
    body = dsl.search_body(SearchRequest())
    assert body["query"]["function_score"]["query"]["bool"]["must"] == [{"match_all": {}}]


def test_lucene_operators_never_reach_the_query() -> None:
    text = dsl.search_body(SearchRequest(text='a:b AND (c* OR "d~2")'))["query"]
    should = text["function_score"]["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[0]["multi_match"]["query"] == "a b and c or d 2"


def test_words_of_every_script_reach_the_node() -> None:
    # Folded as asciifolding folds (Latin accents only), with one sigma: the node indexed
    # "καφές" as "καφέσ".
    text = dsl.search_body(SearchRequest(text="Чайник ΚΑΦΈΣ Crème"))["query"]
    should = text["function_score"]["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[0]["multi_match"]["query"] == "чайник καφέσ creme"


def test_sort_paging_facets() -> None:
    body = dsl.search_body(SearchRequest(sort=SortOrder.PRICE_DESC, page=3, size=20))
    assert body["sort"] == [{"price": "desc"}, {"id": "asc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (40, 20, True)
    assert set(body["aggs"]) == {"category", "brand"}
    assert body["aggs"]["brand"]["terms"]["field"] == "brand"
    assert "aggs" not in dsl.search_body(SearchRequest(facets=False))


def test_mapping_has_analysers_synonyms_ngrams_keywords_and_scaled_price() -> None:
    body = mapping.index_body()
    analysis = body["settings"]["analysis"]
    assert analysis["filter"]["english_stemmer"] == {"type": "stemmer", "language": "english"}
    assert "asciifolding" in analysis["analyzer"]["shop_text"]["filter"]
    assert "laptop, notebook" in analysis["filter"]["shop_synonyms"]["synonyms"]
    assert analysis["filter"]["autocomplete_ngram"]["type"] == "edge_ngram"
    props = body["mappings"]["properties"]
    assert props["price"] == {"type": "scaled_float", "scaling_factor": 100}
    assert props["category"]["type"] == props["brand"]["type"] == "keyword"
    assert {"popularity", "rating", "stock", "in_stock", "created_at"} <= set(props)
    assert props["name"]["search_analyzer"] == "shop_text_search"


def test_document_json() -> None:
    doc = ProductDoc(
        "p1", "Café", "d", "C", "B", 12.345, 3, 4.5, 0, datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert mapping.document(doc) == {
        "id": "p1", "name": "Café", "description": "d", "category": "C", "brand": "B",
        "price": 12.35, "popularity": 3, "rating": 4.5, "stock": 0, "in_stock": False,
        "created_at": "2026-01-02T00:00:00+00:00",
    }  # fmt: skip


def test_suggest_uses_edge_ngrams_with_every_word() -> None:
    body = dsl.suggest_body("Gaming lap", 5)
    match = body["query"]["function_score"]["query"]["match"]["name.autocomplete"]
    assert match == {"query": "gaming lap", "operator": "and"}
    assert body["size"] == 15


def test_price_bounds_are_whole_cents_rounded_inward() -> None:
    assert dsl.price_range_cents(SearchRequest(min_price=4.1, max_price=4.1)) == (410, 410)
    assert dsl.price_range_cents(SearchRequest(min_price=0.001, max_price=399.995)) == (1, 39999)
    assert dsl.price_range_cents(SearchRequest()) == (None, None)
