"""The catalog's vectors for semantic search, embedded once when the API starts."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emporium.wiring import Container

log = logging.getLogger(__name__)


def embed_catalog_in_background(container: Container) -> threading.Thread | None:
    """With semantic search on, embed every catalog product in a daemon thread.

    The hybrid re-rank embeds a product on its first sight as a candidate anyway, but a
    product's vector is smoothed towards its nearest neighbours among the products embedded so
    far, so the API embeds the whole catalog once at start-up. Returns the thread, or None
    when semantic search is off.
    """
    if not container.settings.search.semantic or not hasattr(container.search, "remember"):
        return None
    thread = threading.Thread(
        target=_embed_catalog, args=(container,), name="embed-catalog", daemon=True
    )
    thread.start()
    return thread


def _embed_catalog(container: Container) -> None:
    """Embed the catalog, starting from the vectors saved by the last run (only new or
    edited products are embedded again), and save them for the next."""
    from emporium.search_indexing import catalog_documents

    search = container.search
    saved = container.settings.state_path / "search-vectors.npz"
    started = time.perf_counter()
    try:
        docs = list(catalog_documents(container.session_factory))
        try:
            restored = search.restore(saved, only={doc.product_id for doc in docs})
        except ValueError:
            log.warning("semantic search: %s is unreadable; embedding from scratch", saved)
            restored = 0
        search.remember(docs)
        search.save(saved)
    except Exception:
        log.exception(
            "semantic search: embedding the catalog failed; "
            "products are embedded on first sight instead"
        )
        return
    elapsed = time.perf_counter() - started
    log.info(
        "semantic search: %d products ready in %.0f s (%d vectors from %s)",
        len(docs), elapsed, restored, saved,
    )  # fmt: skip
