"""Hybrid lexical + semantic ranking: the engine's top candidates re-ordered by a mix of
their keyword score and the cosine between query and product-name embeddings.

It wraps any ``SearchEngine`` (embedded or Elasticsearch-compatible), so both rank alike.
Only relevance-sorted keyword searches within the first ``candidates`` results change.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from commerce.adapters.search.analysis import tokens
from commerce.adapters.search.port import SearchEngine, validate_request
from commerce.adapters.search.wrapper import DelegatingEngine
from commerce.domain.search import QueryProfile, SearchHit, SearchRequest, SearchResult, SortOrder


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> NDArray[np.float32]: ...


class HybridSearchEngine(DelegatingEngine):
    """Re-ranks the first ``candidates`` keyword hits by ``(1-alpha)·keyword + alpha·cosine``.

    The keyword score is divided by the best one among the candidates, so the mix does not
    depend on each engine's score scale.
    """

    def __init__(
        self, engine: SearchEngine, encoder: Encoder, candidates: int = 30, alpha: float = 0.5
    ) -> None:
        super().__init__(engine)
        self.encoder = encoder
        self.candidates = candidates
        self.alpha = alpha
        self._vectors: OrderedDict[tuple[str, str], NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

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
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        if missing:
            fresh = self.encoder.encode([name for _, name in missing])
            with self._lock:
                for key, vector in zip(missing, fresh, strict=True):
                    self._vectors[key] = vector
                while len(self._vectors) > 100_000:
                    self._vectors.popitem(last=False)
        with self._lock:
            return np.stack([self._vectors[k] for k in keys])
