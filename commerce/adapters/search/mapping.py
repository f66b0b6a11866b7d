"""The product index for Elasticsearch-compatible nodes: its analysers (which mirror
``analysis``, what the embedded index does in Python), its mappings and its documents.

Pure functions; unit tests pin the JSON. A change here takes effect in indexes built after it
(a full reindex).
"""

from __future__ import annotations

from typing import Any

from commerce.adapters.search.analysis import (
    FINAL_SIGMA,
    SOFT_HYPHEN,
    SYNONYMS,
    compatibility_forms,
)
from commerce.domain.search import ProductDoc

Json = dict[str, Any]
PRICE_SCALE = 100  # price is stored in hundredths of the currency unit
AUTOCOMPLETE_MAX_GRAM = 20  # letters of each name word indexed as partial words
MAX_TOKEN_LENGTH = 255  # the standard tokenizer's default: longer words are split there


def index_body() -> Json:
    """Settings and mappings of a product index."""
    return {
        "settings": {"number_of_shards": 1, "analysis": _analysis()},
        "mappings": _mappings(),
    }


# Characters the standard tokenizer keeps inside a word (Unicode's word-break rules: "don't",
# "12.5cm", "e.g", "snake_case") but ``analysis.tokens`` splits on, as the embedded index does:
# the query's words are ``tokens``', so without this "don't" could not find "Don't Panic".
# The fraction slash comes from compatibility forms too: "½" is read "1⁄2", not "1/2".
WORD_JOINERS = ("'", "\u2019", "\u2018", "\u201b", "\uff07", ".", "\uff0e", ",", ":", ";",
                "_", "\u00b7", "\u2027", "\u2044")  # fmt: skip


def _analysis() -> Json:
    folded = ["lowercase", "asciifolding"]
    stemmed = [*folded, "english_possessive", "english_stemmer"]
    split = {
        "char_filter": ["compatibility_forms", "split_joined_words", "one_sigma", "no_soft_hyphens"]
    }
    return {
        "char_filter": {
            "compatibility_forms": {"type": "mapping", "mappings": _compatibility_rules()},
            "split_joined_words": {
                "type": "mapping",
                "mappings": [f"{ch} => \\u0020" for ch in WORD_JOINERS],
            },
            # "lowercase" turns "Σ" into "σ" even at the end of a word, where "ς" is written.
            "one_sigma": {"type": "mapping", "mappings": [f"{FINAL_SIGMA} => σ"]},
            "no_soft_hyphens": {"type": "mapping", "mappings": [f"{SOFT_HYPHEN} => "]},
        },
        "filter": {
            "english_possessive": {"type": "stemmer", "language": "possessive_english"},
            "english_stemmer": {"type": "stemmer", "language": "english"},
            "shop_synonyms": {"type": "synonym_graph", "synonyms": list(SYNONYMS)},
            "autocomplete_ngram": {
                "type": "edge_ngram",
                "min_gram": 1,
                "max_gram": AUTOCOMPLETE_MAX_GRAM,
            },
        },
        "analyzer": {
            "shop_text": {"type": "custom", "tokenizer": "standard", "filter": stemmed, **split},
            "shop_text_search": {
                "type": "custom",
                "tokenizer": "standard",
                **split,
                "filter": [
                    *folded,
                    "shop_synonyms",
                    "english_possessive",
                    "english_stemmer",
                ],
            },
            "shop_plain": {"type": "custom", "tokenizer": "standard", "filter": folded, **split},
            "shop_autocomplete": {
                "type": "custom",
                "tokenizer": "standard",
                **split,
                "filter": [*folded, "autocomplete_ngram"],
            },
        },
    }


def _compatibility_rules() -> list[str]:
    """``analysis.compatibility_forms`` as mapping rules. Spaces in a form ("ﷺ" is a
    sentence) are escaped, or the rule parser would trim them."""
    space = "\\u0020"
    return [f"{ch} => {form.replace(' ', space)}" for ch, form in compatibility_forms().items()]


def _text(**extra: Any) -> Json:
    return {
        "type": "text",
        "analyzer": "shop_text",
        "search_analyzer": "shop_text_search",
        **extra,
    }


def _mappings() -> Json:
    keyword_with_text = {"type": "keyword", "copy_to": "words", "fields": {"text": _text()}}
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            # Every searchable word, unstemmed: the vocabulary typos are looked up in.
            "words": {"type": "text", "analyzer": "shop_plain"},
            "name": _text(
                copy_to="words",
                fields={
                    "plain": {"type": "text", "analyzer": "shop_plain"},
                    "autocomplete": {
                        "type": "text",
                        "analyzer": "shop_autocomplete",
                        "search_analyzer": "shop_plain",
                    },
                },
            ),
            "description": _text(copy_to="words"),
            "category": keyword_with_text,
            "brand": keyword_with_text,
            "price": {"type": "scaled_float", "scaling_factor": PRICE_SCALE},
            "popularity": {"type": "float"},
            "rating": {"type": "float"},
            "stock": {"type": "integer"},
            "in_stock": {"type": "boolean"},
            "created_at": {"type": "date"},
        },
    }


def document(doc: ProductDoc) -> Json:
    """The indexed JSON of one product."""
    return {
        "id": doc.product_id,
        "name": doc.name,
        "description": doc.description,
        "category": doc.category,
        "brand": doc.brand,
        "price": round(doc.price, 2),
        "popularity": doc.popularity,
        "rating": doc.rating,
        "stock": doc.stock,
        "in_stock": doc.in_stock,
        "created_at": doc.created_at.isoformat(),
    }
