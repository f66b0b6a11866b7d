"""OpenSearch client for ``LuceneSearchEngine`` (``opensearch-py``)."""

from __future__ import annotations

from typing import Any

from opensearchpy import ConnectionError as OSConnectionError
from opensearchpy import NotFoundError, OpenSearch, TransportError

from commerce.adapters.search.errors import IndexNotFound, SearchRefused, SearchUnavailable
from commerce.adapters.search.lucene import PROBE_TIMEOUT_S, LuceneSearchEngine

Json = dict[str, Any]


class OpenSearchClient:
    """The REST calls of ``LuceneClient`` through opensearch-py."""

    name = "opensearch"

    def __init__(
        self,
        host: str,
        port: int,
        timeout_s: float = 30.0,
        probe_timeout_s: float = PROBE_TIMEOUT_S,
    ) -> None:
        self._client = OpenSearch(hosts=[{"host": host, "port": port}], timeout=timeout_s)
        self._probe_timeout_s = probe_timeout_s

    def info(self) -> Json:
        result: Json = _call(lambda: self._client.info(request_timeout=self._probe_timeout_s))
        return result

    def create_index(self, index: str, body: Json) -> None:
        _call(lambda: self._client.indices.create(index=index, body=body))

    def delete_index(self, index: str) -> None:
        _call(lambda: self._client.indices.delete(index=index, ignore_unavailable=True))

    def alias_targets(self, alias: str) -> list[str]:
        try:
            return sorted(_call(lambda: self._client.indices.get_alias(name=alias)))
        except IndexNotFound:
            return []

    def index_names(self, pattern: str) -> list[str]:
        return sorted(_call(lambda: self._client.indices.get(index=pattern)))

    def update_aliases(self, actions: list[Json]) -> None:
        _call(lambda: self._client.indices.update_aliases(body={"actions": actions}))

    def bulk(self, operations: list[Json]) -> Json:
        response: Json = _call(lambda: self._client.bulk(body=operations))
        return response

    def search(self, index: str, body: Json) -> Json:
        result: Json = _call(lambda: self._client.search(index=index, body=body))
        return result

    def update(self, index: str, doc_id: str, doc: Json) -> bool:
        try:
            _call(lambda: self._client.update(index=index, id=doc_id, body={"doc": doc}))
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
        raise IndexNotFound(f"not found: {e.info}") from e
    except OSConnectionError as e:
        raise SearchUnavailable(f"OpenSearch unreachable: {e}") from e
    except TransportError as e:
        error = SearchRefused if e.status_code == 400 else SearchUnavailable
        raise error(
            f"OpenSearch error {e.status_code}: {e.error}", {"info": str(e.info)[:500]}
        ) from e


def opensearch_engine(host: str, port: int, alias: str = "products") -> LuceneSearchEngine:
    return LuceneSearchEngine(OpenSearchClient(host, port), alias)
