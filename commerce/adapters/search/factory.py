"""Engine selection: the one URL scheme -> engine map."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from commerce.adapters.search.errors import UnknownSearchUrl
from commerce.adapters.search.port import SearchEngine


def _embedded(url: str, alias: str) -> SearchEngine:
    from commerce.adapters.search.embedded import EmbeddedSearchEngine

    path = url.removeprefix("embedded://")
    if not path:  # an index nobody else could read, and gone at exit: say which was meant
        raise UnknownSearchUrl(
            f"{url!r} names no index file: use embedded:///path/search.db "
            "(or embedded://:memory: for one process)"
        )
    return EmbeddedSearchEngine(path, alias)


def _opensearch(url: str, alias: str) -> SearchEngine:
    from commerce.adapters.search.opensearch import opensearch_engine

    host, port = _host_port(url, 9200)
    return opensearch_engine(host, port, alias)


def _elasticsearch(url: str, alias: str) -> SearchEngine:
    from commerce.adapters.search.elasticsearch import elasticsearch_engine

    host, port = _host_port(url, 9200)
    return elasticsearch_engine(host, port, alias)


# The one name -> engine map; clients are imported and built only when chosen.
ENGINES: dict[str, Callable[[str, str], SearchEngine]] = {
    "embedded": _embedded,
    "opensearch": _opensearch,
    "elasticsearch": _elasticsearch,
}


def search_engine_from_url(
    url: str, alias: str = "products", semantic: bool = False
) -> SearchEngine:
    """The engine named by ``url``.

    ``embedded:///abs/path/search.db`` (or ``embedded://:memory:``), ``opensearch://host:port``
    or ``elasticsearch://host:port``. With ``semantic``, keyword results are re-ranked with
    MiniLM embeddings (``HybridSearchEngine``; needs the optional semantic extra).
    """
    scheme = urlsplit(url).scheme
    if scheme not in ENGINES:
        raise UnknownSearchUrl(f"unknown search URL {url!r}; use one of {sorted(ENGINES)}://…")
    engine = ENGINES[scheme](url, alias)
    if not semantic:
        return engine
    from commerce.adapters.search.hybrid import HybridSearchEngine
    from commerce.adapters.search.minilm import MiniLmEncoder

    return HybridSearchEngine(engine, MiniLmEncoder())


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port
