"""Hybrid lexical + semantic ranking: the engine's top candidates re-ordered by a mix of
their keyword score and the cosine between query and product-name embeddings.

It wraps any ``SearchEngine`` (embedded or Elasticsearch-compatible), so both rank alike.
Only relevance-sorted keyword searches within the first ``candidates`` results change.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from commerce.adapters.search.analysis import tokens
from commerce.adapters.search.port import SearchEngine, validate_request
from commerce.adapters.search.wrapper import DelegatingEngine
from commerce.domain.search import (
    ProductDoc,
    QueryProfile,
    SearchHit,
    SearchRequest,
    SearchResult,
    SortOrder,
)

_MAX_VECTORS = 200_000  # ~300 MB of float32 vectors at most
Vectors = OrderedDict[tuple[str, str], NDArray[np.float32]]


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> NDArray[np.float32]: ...


class HybridSearchEngine(DelegatingEngine):
    """Re-ranks the first ``candidates`` keyword hits by ``(1-alpha)·keyword + alpha·cosine``.

    The keyword score is divided by the best one among the candidates, so the mix does not
    depend on each engine's score scale. ``candidates=50, alpha=0.7`` were chosen on the
    design half of the CrowdFlower queries only.
    """

    def __init__(
        self,
        engine: SearchEngine,
        encoder: Encoder,
        candidates: int = 50,
        alpha: float = 0.7,
        vectors: Vectors | None = None,
    ) -> None:
        super().__init__(engine)
        self.encoder = encoder
        self.candidates = candidates
        self.alpha = alpha
        # Keyed by (product id, name): a renamed product is embedded again.
        self._vectors: Vectors = OrderedDict() if vectors is None else vectors
        self._lock = threading.Lock()

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        """Index as the wrapped engine does, and embed the names once, here, not per query."""
        names: list[tuple[str, str]] = []

        def tap() -> Iterator[ProductDoc]:
            for doc in docs:
                names.append((doc.product_id, doc.name))
                yield doc

        count = self.engine.bulk_index(tap(), index)
        self.remember(names)
        return count

    def remember(self, keys: list[tuple[str, str]], batch: int = 64) -> None:
        """Embed ``(product_id, name)`` pairs not yet known."""
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = self.encoder.encode([name for _, name in chunk])
            with self._lock:
                self._vectors.update(zip(chunk, vectors, strict=True))
                while len(self._vectors) > _MAX_VECTORS:
                    self._vectors.popitem(last=False)

    def search(self, request: SearchRequest) -> SearchResult:
        validate_request(request)
        if not self._applies(request):
            return self.engine.search(request)
        first = self.engine.search(dataclasses.replace(request, page=1, size=self.candidates))
        hits = self._rerank(request.text, first.hits)
        page = hits[request.offset : request.offset + request.size]
        return dataclasses.replace(first, hits=page, page=request.page, size=request.size)

    def _applies(self, request: SearchRequest) -> bool:
        return (
            request.sort is SortOrder.RELEVANCE
            and request.profile is QueryProfile.SHIPPED
            and bool(tokens(request.text))
            and request.offset + request.size <= self.candidates
        )

    def _rerank(self, text: str, hits: tuple[SearchHit, ...]) -> tuple[SearchHit, ...]:
        if not hits:
            return hits
        query = self.encoder.encode([text])[0]
        cosine = self._product_vectors(hits) @ query
        best = max(hit.score for hit in hits) or 1.0
        mixed = [
            (1 - self.alpha) * hit.score / best + self.alpha * float(cos)
            for hit, cos in zip(hits, cosine, strict=True)
        ]
        order = sorted(range(len(hits)), key=lambda i: (-mixed[i], hits[i].product_id))
        return tuple(dataclasses.replace(hits[i], score=mixed[i]) for i in order)

    def _product_vectors(self, hits: tuple[SearchHit, ...]) -> NDArray[np.float32]:
        keys = [(hit.product_id, hit.name) for hit in hits]
        self.remember(keys)  # products indexed by another process are embedded on first sight
        with self._lock:
            return np.stack([self._vectors[k] for k in keys])
