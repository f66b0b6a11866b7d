"""Product search engines behind one ``SearchEngine`` port, chosen by URL."""

from __future__ import annotations

from commerce.adapters.search.errors import SearchError
from commerce.adapters.search.factory import search_engine_from_url
from commerce.adapters.search.port import SearchEngine, new_index_name

__all__ = ["SearchEngine", "SearchError", "new_index_name", "search_engine_from_url"]
