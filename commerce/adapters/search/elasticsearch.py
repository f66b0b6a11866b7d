"""Elasticsearch 9 client for ``LuceneSearchEngine`` (the ``elasticsearch`` package).

The client checks the product header and refuses OpenSearch, so this adapter only talks to
Elasticsearch itself; the bodies are the same ``dsl`` dicts the OpenSearch client sends.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from commerce.adapters.search.errors import IndexNotFound, SearchRefused, SearchUnavailable
from commerce.adapters.search.lucene import PROBE_TIMEOUT_S, LuceneSearchEngine

Json = dict[str, Any]


class ElasticsearchClient:
    """The REST calls of ``LuceneClient`` through elasticsearch-py 9."""

    name = "elasticsearch"

    def __init__(
        self, url: str, timeout_s: float = 30.0, probe_timeout_s: float = PROBE_TIMEOUT_S
    ) -> None:
        self._client = Elasticsearch(url, request_timeout=timeout_s)
        self._probe_timeout_s = probe_timeout_s

    def info(self) -> Json:
        probe = self._client.options(request_timeout=self._probe_timeout_s)
        result: Json = _call(probe.info).body
        return result

    def create_index(self, index: str, body: Json) -> None:
        _call(
            lambda: self._client.indices.create(
                index=index, settings=body["settings"], mappings=body["mappings"]
            )
        )

    def delete_index(self, index: str) -> None:
        _call(lambda: self._client.indices.delete(index=index, ignore_unavailable=True))

    def alias_targets(self, alias: str) -> list[str]:
        try:
            return sorted(_call(lambda: self._client.indices.get_alias(name=alias)).body)
        except IndexNotFound:
            return []

    def index_names(self, pattern: str) -> list[str]:
        return sorted(_call(lambda: self._client.indices.get(index=pattern)).body)

    def update_aliases(self, actions: list[Json]) -> None:
        _call(lambda: self._client.indices.update_aliases(actions=actions))

    def bulk(self, operations: list[Json]) -> Json:
        response: Json = _call(lambda: self._client.bulk(operations=operations)).body
        return response

    def search(self, index: str, body: Json) -> Json:
        result: Json = _call(lambda: self._client.search(index=index, body=body)).body
        return result

    def update(self, index: str, doc_id: str, doc: Json) -> bool:
        try:
            _call(lambda: self._client.update(index=index, id=doc_id, doc=doc))
        except IndexNotFound:
            return False
        return True

    def refresh(self, index: str) -> None:
        _call(lambda: self._client.indices.refresh(index=index))

    def close(self) -> None:
        self._client.close()


def _call(request: Any) -> Any:
    try:
        return request()
    except NotFoundError as e:
        raise IndexNotFound(f"not found: {e.message}") from e
    except ApiError as e:
        error = SearchRefused if e.status_code == 400 else SearchUnavailable
        raise error(f"Elasticsearch error {e.status_code}: {e.message}") from e
    except TransportError as e:
        raise SearchUnavailable(f"Elasticsearch unreachable: {e}") from e


def elasticsearch_engine(host: str, port: int, alias: str = "products") -> LuceneSearchEngine:
    return LuceneSearchEngine(ElasticsearchClient(f"http://{host}:{port}"), alias)
