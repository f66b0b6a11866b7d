"""The ``SearchEngine`` for Elasticsearch-compatible nodes, over a thin client.

All index bodies and queries come from ``dsl``; a ``LuceneClient`` only sends them. The two
clients (``opensearch.py``, ``elasticsearch.py``) differ in library, not in behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any, Protocol

from commerce.adapters.search import dsl, mapping
from commerce.adapters.search.analysis import tokens
from commerce.adapters.search.errors import (
    IndexNotFound,
    SearchError,
    SearchRefused,
    SearchUnavailable,
)
from commerce.adapters.search.port import check_update, validate_request
from commerce.domain.search import (
    FacetBucket,
    ProductDoc,
    QueryProfile,
    SearchHit,
    SearchRequest,
    SearchResult,
)

Json = dict[str, Any]
_BULK_CHUNK = 500
_SWAP_ATTEMPTS = 20
#: How long ``info()`` (the health probe, and serve's first contact) waits for an answer: a
#: node that accepts connections and says nothing cost the client's whole 30 s time-out.
PROBE_TIMEOUT_S = 5.0


class LuceneClient(Protocol):
    """The handful of REST calls the engine needs; adapters translate library errors."""

    name: str

    def info(self) -> Json: ...
    def create_index(self, index: str, body: Json) -> None: ...
    def delete_index(self, index: str) -> None: ...
    def alias_targets(self, alias: str) -> list[str]: ...
    def index_names(self, pattern: str) -> list[str]: ...
    def update_aliases(self, actions: list[Json]) -> None: ...
    def bulk(self, operations: list[Json]) -> Json: ...
    def search(self, index: str, body: Json) -> Json: ...
    def update(self, index: str, doc_id: str, doc: Json) -> bool: ...
    def refresh(self, index: str) -> None: ...
    def close(self) -> None: ...


class LuceneSearchEngine:
    """Versioned indices behind an alias on an Elasticsearch-compatible node."""

    def __init__(
        self, client: LuceneClient, alias: str = "products", weights: dsl.Weights = dsl.WEIGHTS
    ) -> None:
        self.client = client
        self.alias = alias
        self.weights = weights

    def create_index(self, index: str) -> None:
        self.client.delete_index(index)
        self.client.create_index(index, mapping.index_body())

    def drop_index(self, index: str) -> None:
        self.client.delete_index(index)

    def versions(self) -> list[str]:
        return self.client.index_names(f"{self.alias}-v*")

    def current_index(self) -> str | None:
        targets = self.client.alias_targets(self.alias)
        return sorted(targets)[-1] if targets else None

    def swap_alias(self, index: str) -> str | None:
        # A compare-and-swap: the alias leaves exactly the indices read, or the request fails
        # and is tried again. Two reindexes at once each move it from what they saw; a plain
        # remove-everywhere could be resolved against an older state and, with the clean-up
        # that followed it, once left the alias on no index at all.
        for _ in range(_SWAP_ATTEMPTS):
            old = self.client.alias_targets(self.alias)
            if self._move_alias(old, index):
                break
        else:
            raise SearchUnavailable(
                f"the alias {self.alias!r} kept moving: {_SWAP_ATTEMPTS} swaps to {index} "
                "lost to other reindexes; run the reindex again"
            )
        self._one_target()
        self._drop_all(o for o in old if o != index)
        return sorted(old)[-1] if old else None

    def _move_alias(self, old: list[str], new: str) -> bool:
        """Point the alias from exactly ``old`` to ``new`` in one request; False when the
        alias moved since ``old`` was read (``must_exist`` fails the whole request)."""
        actions: list[Json] = [
            {"remove": {"index": o, "alias": self.alias, "must_exist": True}} for o in old
        ]
        actions.append({"add": {"index": new, "alias": self.alias}})
        try:
            self.client.update_aliases(actions)
        except (IndexNotFound, SearchRefused):
            if self.client.alias_targets(self.alias) == sorted(old):
                raise  # nothing moved: the request itself was wrong
            return False
        return True

    def _one_target(self) -> None:
        """Two first swaps at once (no alias yet, nothing to compare) both add theirs: keep
        the newest version (names sort by creation time), as every swapper decides alike,
        and drop the other, which nothing points at any more."""
        for _ in range(_SWAP_ATTEMPTS):
            targets = self.client.alias_targets(self.alias)
            if len(targets) <= 1:
                return
            newest = max(targets)
            if self._move_alias(targets, newest):
                self._drop_all(t for t in targets if t != newest)

    def _drop_all(self, indices: Iterable[str]) -> None:
        for index in indices:
            with suppress(IndexNotFound):  # another reindex dropped it first
                self.client.delete_index(index)

    def _target(self, index: str | None) -> str:
        if index is not None:
            return index
        if self.current_index() is None:
            raise IndexNotFound(f"no index behind alias {self.alias!r}: run a full reindex")
        return self.alias

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        target = self._target(index)
        count = 0
        chunk: list[Json] = []
        for doc in docs:
            chunk += [{"index": {"_index": target, "_id": doc.product_id}}, mapping.document(doc)]
            count += 1
            if len(chunk) >= 2 * _BULK_CHUNK:
                self._bulk(chunk)
                chunk = []
        if chunk:
            self._bulk(chunk)
        self.client.refresh(target)
        return count

    def _bulk(self, operations: list[Json]) -> Json:
        """One ``_bulk`` request; any failed item raises (a delete of a missing document
        is reported as a 404 item but is not a failure)."""
        response = self.client.bulk(operations)
        failed = [
            item
            for item in response.get("items", [])
            for op in item.values()
            if op.get("status", 200) >= 300 and op.get("result") != "not_found"
        ]
        if failed:
            raise SearchUnavailable("bulk request had failures", {"failures": failed[:5]})
        return response

    def update_fields(self, product_id: str, fields: Mapping[str, float | int]) -> bool:
        check_update(fields)
        doc: Json = dict(fields)
        if "stock" in doc:
            doc["in_stock"] = int(doc["stock"]) > 0
        found = self.client.update(self._target(None), product_id, doc)
        self.client.refresh(self.alias)
        return found

    def delete(self, product_ids: Iterable[str]) -> int:
        target = self._target(None)
        ops: list[Json] = [{"delete": {"_index": target, "_id": pid}} for pid in product_ids]
        if not ops:
            return 0
        response = self._bulk(ops)
        self.client.refresh(target)
        return sum(
            1 for item in response.get("items", []) if item["delete"].get("result") == "deleted"
        )

    def refresh(self) -> None:
        self.client.refresh(self.alias)

    def close(self) -> None:
        self.client.close()

    def health(self) -> dict[str, object]:
        try:
            version = self.client.info().get("version", {}).get("number")
            index = self.current_index()
        except SearchError as e:
            return {"healthy": False, "engine": self.client.name, "error": e.message}
        return {
            "healthy": True,
            "engine": self.client.name,
            "version": version,
            "alias": self.alias,
            "index": index,
        }

    def search(self, request: SearchRequest) -> SearchResult:
        validate_request(request)
        # Typos are looked up by a term suggester in the search itself: most queries have no
        # typo and take one request. A typo's close words change the query, so that search
        # is asked again with them, exactly as the embedded index tolerates typos.
        words = tokens(request.text) if request.profile is QueryProfile.SHIPPED else []
        body = dsl.search_body(request, self.weights)
        response = self._search_looking_up_typos(body, dsl.typo_suggest(words))
        variants = dsl.typo_variants(words, response)
        if variants:
            response = self._search(dsl.search_body(request, self.weights, variants))
        return parse_search(response, request)

    def _search_looking_up_typos(self, body: Json, lookup: Json | None) -> Json:
        if lookup is None:
            return self._search(body)
        try:
            return self._search({**body, "suggest": lookup})
        except SearchRefused:
            # An index built before the ``words`` field refuses the lookup until it is rebuilt:
            # search on without typos. (A node that is down is not asked twice.)
            return self._search(body)

    def _search(self, body: Json) -> Json:
        # The old index of an alias swap may vanish under a query already resolved to it:
        # asking once more through the alias reaches the new one.
        try:
            return self.client.search(self.alias, body)
        except IndexNotFound:
            return self.client.search(self._target(None), body)

    def suggest(self, prefix: str, size: int = 5) -> list[str]:
        if not prefix.strip() or not any(ch.isalnum() for ch in prefix):
            return []
        response = self._search(dsl.suggest_body(prefix, size))
        names = (hit["_source"]["name"] for hit in response["hits"]["hits"])
        return list(dict.fromkeys(names))[:size]


def parse_search(response: Json, request: SearchRequest) -> SearchResult:
    """A ``SearchResult`` from an Elasticsearch ``_search`` response."""
    hits = tuple(
        SearchHit(
            product_id=h["_source"]["id"],
            score=float(h.get("_score") or 0.0),
            name=h["_source"]["name"],
            price=float(h["_source"]["price"]),
            category=h["_source"].get("category", ""),
            brand=h["_source"].get("brand", ""),
            in_stock=bool(h["_source"].get("in_stock", True)),
            description=h["_source"].get("description", ""),
        )
        for h in response["hits"]["hits"]
    )
    aggs = response.get("aggregations", {})
    facets = {
        name: tuple(FacetBucket(str(b["key"]), int(b["doc_count"])) for b in agg["buckets"])
        for name, agg in aggs.items()
    }
    total = int(response["hits"]["total"]["value"])
    return SearchResult(total, hits, request.page, request.size, facets)
