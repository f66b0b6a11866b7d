"""Hybrid lexical + semantic ranking: the engine's top candidates re-ordered by a mix of
their keyword score and the similarity between query and product embeddings.

It wraps any ``SearchEngine`` (embedded or Elasticsearch-compatible), so both rank alike.
Only relevance-sorted keyword searches within the first ``candidates`` results change.
A product's vector mixes the embedding of its name with that of its name and the start of
its description, smoothed towards its nearest neighbours in the catalog (document expansion
by neighbours: a product is also read as the kind of product it sits among); the query's vector
gets one round of pseudo-relevance feedback (Rocchio): the mean vector of the few best
candidates is added to it and the candidates are scored again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
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
_DESCRIPTION_CHARS = 400  # of "name. description"; the encoder reads 64 tokens at most
_TAG = re.compile(r"<[^>]+>")
#: product id -> ((name, description) it was embedded from, vector)
Vectors = OrderedDict[str, tuple[tuple[str, str], NDArray[np.float32]]]


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> NDArray[np.float32]: ...


class Described(Protocol):
    """What is embedded of a product (a ``ProductDoc`` or a ``SearchHit``)."""

    @property
    def product_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...


def described(name: str, description: str) -> str:
    """The text embedded beside the name: the name and the start of the tag-free description."""
    text = " ".join(_TAG.sub(" ", description).split())
    return f"{name}. {text}"[:_DESCRIPTION_CHARS] if text else name


class HybridSearchEngine(DelegatingEngine):
    """Re-ranks the first ``candidates`` keyword hits by ``(1-alpha)·keyword + alpha·semantic``.

    The keyword score is divided by the best one among the candidates, so the mix does not
    depend on each engine's score scale. ``semantic`` is the dot product of the query's vector
    with the product's vector: ``v = (1-description_weight)·name + description_weight·described``
    plus ``neighbour_weight`` times the mean ``v`` of its ``neighbours`` most similar products
    among all embedded ones, normalised. After a first pass, the mean product vector of the
    ``feedback_docs`` best candidates, times ``feedback_weight``, is added to the query vector
    and the candidates are re-scored. The defaults were chosen on the design half of the
    CrowdFlower queries only.
    """

    def __init__(
        self,
        engine: SearchEngine,
        encoder: Encoder,
        candidates: int = 100,
        alpha: float = 0.75,
        description_weight: float = 0.4,
        feedback_docs: int = 3,
        feedback_weight: float = 0.5,
        neighbours: int = 40,
        neighbour_weight: float = 1.0,
        vectors: Vectors | None = None,
    ) -> None:
        super().__init__(engine)
        self.encoder = encoder
        self.candidates = candidates
        self.alpha = alpha
        self.description_weight = description_weight
        self.feedback_docs = feedback_docs
        self.feedback_weight = feedback_weight
        self.neighbours = neighbours
        self.neighbour_weight = neighbour_weight
        # One vector per product id; an edited name or description is embedded again and
        # replaces the old vector.
        self._vectors: Vectors = OrderedDict() if vectors is None else vectors
        # Neighbour-smoothed vectors, computed on a product's first sight as a candidate
        # against every embedded product; forgotten whenever the embedded set changes.
        self._smoothed: dict[str, NDArray[np.float32]] = {}
        self._catalog: tuple[dict[str, int], NDArray[np.float32]] | None = None
        self._lock = threading.Lock()

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        """Index as the wrapped engine does, and embed the products once, here, not per query."""
        seen: list[ProductDoc] = []

        def tap() -> Iterator[ProductDoc]:
            for doc in docs:
                seen.append(doc)
                yield doc

        count = self.engine.bulk_index(tap(), index)
        self.remember(seen)
        return count

    def remember(self, products: Iterable[Described], batch: int = 64) -> None:
        """Embed the products whose name and description are not yet known as they are."""
        with self._lock:
            latest = {p.product_id: (p.product_id, p.name, p.description) for p in products}
            missing = [k for k in latest.values() if not self._known(k)]
        w = self.description_weight
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = (1 - w) * self.encoder.encode([name for _, name, _ in chunk])
            if w:
                vectors += w * self.encoder.encode([described(n, d) for _, n, d in chunk])
            with self._lock:
                for (pid, name, desc), vector in zip(chunk, vectors, strict=True):
                    self._vectors[pid] = ((name, desc), vector)
                    self._vectors.move_to_end(pid)
                while len(self._vectors) > _MAX_VECTORS:
                    self._vectors.popitem(last=False)
                self._smoothed.clear()
                self._catalog = None

    def save(self, path: Path) -> int:
        """Write the product vectors to ``path`` (an ``.npz``, replaced whole); returns how many.

        ``restore`` reads them back, so a restarted process embeds only what changed."""
        with self._lock:
            entries = list(self._vectors.items())
        texts = [[pid, name, desc] for pid, ((name, desc), _) in entries]
        matrix = np.stack([v for _, (_, v) in entries]) if entries else np.zeros((0, 0))
        meta = json.dumps({"tag": self._tag(), "products": texts})
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, vectors=matrix.astype(np.float32), meta=meta)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return len(entries)

    def restore(self, path: Path, only: Collection[str] | None = None) -> int:
        """Read vectors written by ``save`` with the same encoder and description weight.

        Returns how many were taken: 0 when the file is missing or was written with other
        settings. ``only``: the product ids to take (e.g. those still in the catalog; a
        product no longer sold should not be anyone's neighbour). A product whose name or
        description has changed since is embedded again by ``remember``.

        Raises
        ------
        ValueError
            If the file is not one ``save`` wrote.
        """
        if not path.is_file():
            return 0
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                matrix = np.asarray(data["vectors"], dtype=np.float32)
            products = [(str(p), str(n), str(d)) for p, n, d in meta["products"]]
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path} is not a saved vectors file: {e}") from e
        if len(products) != len(matrix):
            raise ValueError(f"{path} is not a saved vectors file: counts differ")
        if meta.get("tag") != self._tag() or matrix.shape[1:] != self._dimension():
            return 0  # written with other settings, or by an encoder with another output size
        taken = 0
        with self._lock:
            for (pid, name, desc), vector in zip(products, matrix, strict=True):
                if only is None or pid in only:
                    self._vectors.setdefault(pid, ((name, desc), vector))
                    taken += 1
            self._smoothed.clear()
            self._catalog = None
        return taken

    def _dimension(self) -> tuple[int, ...]:
        return tuple(self.encoder.encode(["dimension"]).shape[1:])

    def _tag(self) -> str:
        """What the vectors depend on besides the product text."""
        encoder = type(self.encoder)
        return f"{encoder.__module__}.{encoder.__qualname__} w={self.description_weight}"

    def _known(self, key: tuple[str, str, str]) -> bool:
        entry = self._vectors.get(key[0])
        return entry is not None and entry[0] == key[1:]

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
        products = self._product_vectors(hits)
        best = max(hit.score for hit in hits) or 1.0
        keyword = (1 - self.alpha) * np.array([hit.score / best for hit in hits])
        mixed = keyword + self.alpha * (products @ query)
        if self.feedback_docs and self.feedback_weight:
            top = np.argsort(-mixed, kind="stable")[: self.feedback_docs]
            query = query + self.feedback_weight * products[top].mean(axis=0)
            query /= max(float(np.linalg.norm(query)), 1e-12)
            mixed = keyword + self.alpha * (products @ query)
        order = sorted(range(len(hits)), key=lambda i: (-mixed[i], hits[i].product_id))
        return tuple(dataclasses.replace(hits[i], score=float(mixed[i])) for i in order)

    def _product_vectors(self, hits: tuple[SearchHit, ...]) -> NDArray[np.float32]:
        self.remember(hits)  # products indexed by another process are embedded on first sight
        ids = [hit.product_id for hit in hits]
        with self._lock:
            if not (self.neighbours and self.neighbour_weight):
                return np.stack([self._vectors[pid][1] for pid in ids])
            missing = [pid for pid in dict.fromkeys(ids) if pid not in self._smoothed]
            if missing:
                self._smoothed.update(zip(missing, self._smooth(missing), strict=True))
            return np.stack([self._smoothed[pid] for pid in ids])

    def _smooth(self, ids: list[str]) -> NDArray[np.float32]:
        """The products' vectors plus ``neighbour_weight`` x the mean of their nearest
        neighbours' among every embedded product (the product itself excluded), normalised."""
        if self._catalog is None:
            rows = {pid: i for i, pid in enumerate(self._vectors)}
            self._catalog = (rows, np.stack([vector for _, vector in self._vectors.values()]))
        rows, matrix = self._catalog
        own = np.stack([self._vectors[pid][1] for pid in ids])
        k = min(self.neighbours, len(matrix) - 1)
        if k < 1:
            return own
        similarity = own @ matrix.T
        similarity[np.arange(len(ids)), [rows[pid] for pid in ids]] = -np.inf
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        smoothed = own + self.neighbour_weight * matrix[nearest].mean(axis=1)
        norms = np.linalg.norm(smoothed, axis=1, keepdims=True)
        out: NDArray[np.float32] = (smoothed / np.maximum(norms, 1e-12)).astype(np.float32)
        return out
