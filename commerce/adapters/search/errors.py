"""Errors of product search. Each carries a stable ``code``; serving maps them to HTTP."""

from __future__ import annotations

from typing import Any


class SearchError(Exception):
    """Base of every search error."""

    code = "search_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidSearchRequest(SearchError):
    """The request cannot be answered as asked (bad price range, unknown sort, too deep)."""

    code = "invalid_search_request"


class IndexNotFound(SearchError):
    """No index stands behind the alias yet: run a full reindex first."""

    code = "search_index_not_found"


class SearchUnavailable(SearchError):
    """The search engine could not be reached or failed."""

    code = "search_unavailable"


class SearchRefused(SearchUnavailable):
    """The engine answered, and refused the request (HTTP 400): an index built for another
    mapping, say. To the API it is the engine failing, like any ``SearchUnavailable``."""


class UnknownSearchUrl(SearchError):
    """The configured search URL names no known engine."""

    code = "unknown_search_url"
