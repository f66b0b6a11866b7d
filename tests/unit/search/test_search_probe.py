"""The health probe of the Elasticsearch-compatible clients is bounded on its own: a node that
accepts connections and never answers (a stopped process whose port the kernel still holds, a
proxy in front of nothing) cost ``emporium serve`` and ``/health`` the client's 30 s."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from commerce.adapters.search.errors import SearchUnavailable
from commerce.adapters.search.lucene import LuceneClient


def _opensearch(port: int) -> LuceneClient:
    from commerce.adapters.search.opensearch import OpenSearchClient

    return OpenSearchClient("127.0.0.1", port, probe_timeout_s=0.5)


def _elasticsearch(port: int) -> LuceneClient:
    from commerce.adapters.search.elasticsearch import ElasticsearchClient

    return ElasticsearchClient(f"http://127.0.0.1:{port}", probe_timeout_s=0.5)


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0), backlog=16) as silent:
        yield silent.getsockname()[1]


@pytest.mark.parametrize("client", [_opensearch, _elasticsearch])
def test_a_node_that_never_answers_fails_the_probe_within_its_bound(
    silent_port: int, client: Callable[[int], LuceneClient]
) -> None:
    built = client(silent_port)
    began = time.monotonic()
    with pytest.raises(SearchUnavailable):
        built.info()
    assert time.monotonic() - began < 10  # the client's own retries on top of 0.5 s each
    built.close()
