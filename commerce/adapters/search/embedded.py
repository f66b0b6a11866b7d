"""The embedded product index: SQLite FTS5 in-process, one file, no server.

Why FTS5: it ships inside Python's ``sqlite3`` (nothing to install or compile), gives BM25
with per-column weights, prefix queries, NEAR/phrase queries and a Porter stemmer with
Unicode diacritic folding. What it lacks (typo tolerance, synonyms) is added here: query-time
synonym expansion and edit-distance expansion against the index's own vocabulary.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from commerce.adapters.search.dsl import FACET_FIELDS, FACET_SIZE, WEIGHTS, Weights
from commerce.adapters.search.embedded_query import (
    CompiledQuery,
    compile_request,
    order_by,
    suggest_query,
)
from commerce.adapters.search.embedded_tables import (
    create_tables,
    delete_rows,
    drop_tables,
    tables,
    upsert,
)
from commerce.adapters.search.embedded_vocab import Vocabularies
from commerce.adapters.search.errors import IndexNotFound, SearchUnavailable
from commerce.adapters.search.mapping import PRICE_SCALE
from commerce.adapters.search.port import check_update, validate_request
from commerce.domain.search import (
    FacetBucket,
    ProductDoc,
    SearchHit,
    SearchRequest,
    SearchResult,
)

_T = TypeVar("_T")


class EmbeddedSearchEngine:
    """``SearchEngine`` over a SQLite file (or ``:memory:`` for one process)."""

    def __init__(
        self, path: str | Path, alias: str = "products", weights: Weights = WEIGHTS
    ) -> None:
        self.path = str(path)
        self.alias = alias
        self.weights = weights
        self._local = threading.local()
        self._vocab = Vocabularies()
        self._shared: sqlite3.Connection | None = None
        if self.path == ":memory:":  # one connection, or each thread would see its own db
            self._shared = self._connect()
            self._lock = threading.RLock()
        with self._conn() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS search_aliases (alias TEXT PRIMARY KEY, idx TEXT)"
            )

    # --- connections ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._lock:
                yield self._shared
            return
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- index lifecycle --------------------------------------------------------------------

    def create_index(self, index: str) -> None:
        self.drop_index(index)
        with self._write() as conn:
            create_tables(conn, index)

    def drop_index(self, index: str) -> None:
        with self._write() as conn:
            drop_tables(conn, index)
        self._vocab.forget(index)

    def versions(self) -> list[str]:
        with self._conn() as conn:  # GLOB: '_' in an alias is no wildcard, as it is in LIKE
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?",
                (f"{self.alias}-v*__docs",),
            ).fetchall()
        return sorted(name.removesuffix("__docs") for (name,) in rows)

    def current_index(self) -> str | None:
        with self._conn() as conn:
            return self._alias_target(conn)

    def _alias_target(self, conn: sqlite3.Connection) -> str | None:
        row = conn.execute(
            "SELECT idx FROM search_aliases WHERE alias = ?", (self.alias,)
        ).fetchone()
        return None if row is None else str(row[0])

    def swap_alias(self, index: str) -> str | None:
        # The old target is read in the write transaction: read before it, a reindex swapping
        # at the same time would be missed, and its whole index never dropped.
        with self._write() as conn:
            old = self._alias_target(conn)
            conn.execute(
                "INSERT INTO search_aliases VALUES (?, ?) "
                "ON CONFLICT(alias) DO UPDATE SET idx = excluded.idx",
                (self.alias, index),
            )
        if old is not None and old != index:
            self.drop_index(old)
        return old

    def _target(self, index: str | None = None) -> str:
        target = index or self.current_index()
        if target is None:
            raise self._no_index()
        return target

    def _no_index(self) -> IndexNotFound:
        return IndexNotFound(f"no index behind alias {self.alias!r}: run a full reindex")

    def refresh(self) -> None:
        """Writes are visible on commit."""

    def health(self) -> dict[str, object]:
        try:
            index = self.current_index()
        except sqlite3.Error as e:
            return {"healthy": False, "engine": "embedded", "error": str(e)}
        return {"healthy": True, "engine": "embedded", "alias": self.alias, "index": index}

    def close(self) -> None:
        conn = self._shared or getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()

    # --- writes -----------------------------------------------------------------------------

    def bulk_index(self, docs: Iterable[ProductDoc], index: str | None = None) -> int:
        target = self._target(index)
        t = tables(target)
        count = 0
        with self._write() as conn:
            for doc in docs:
                upsert(conn, t, doc)
                count += 1
        self._vocab.forget(target)
        return count

    def update_fields(self, product_id: str, fields: Mapping[str, float | int]) -> bool:
        check_update(fields)
        values = {("price_cents" if k == "price" else k): v for k, v in fields.items()}
        if "price_cents" in values:
            values["price_cents"] = round(float(values["price_cents"]) * PRICE_SCALE)
        sets = ", ".join(f"{column} = ?" for column in values)
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE {tables(self._target())['docs']} SET {sets} WHERE id = ?",
                (*values.values(), product_id),
            )
        return cur.rowcount > 0

    def delete(self, product_ids: Iterable[str]) -> int:
        t = tables(self._target())
        removed = 0
        with self._write() as conn:
            for product_id in product_ids:
                removed += delete_rows(conn, t, product_id)
        return removed

    # --- reads ------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        validate_request(request)
        try:
            return self._read(lambda conn, index: self._search(conn, index, request))
        except sqlite3.Error as e:
            raise SearchUnavailable(f"embedded search failed: {e}") from e

    def _read(self, run: Callable[[sqlite3.Connection, str], _T]) -> _T:
        # One read transaction from the alias lookup to the last row: in WAL mode it reads one
        # snapshot, so a reindex that swaps the alias and drops the old tables meanwhile cannot
        # take them away from a query already under way.
        with self._conn() as conn:
            conn.execute("BEGIN")
            try:
                index = self._alias_target(conn)
                if index is None:
                    raise self._no_index()
                return run(conn, index)
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def _search(self, conn: sqlite3.Connection, index: str, request: SearchRequest) -> SearchResult:
        t = tables(index)
        q = compile_request(
            request, lambda word: self._vocab.fuzzy(conn, index, word), self.weights
        )
        names = {"docs": t["docs"], "fts": t["fts"], "plain": t["plain"]}
        page_sql = q.sql(
            "d.id, d.name, d.price_cents, d.category, d.brand, d.stock, d.description, "
            f"{q.score} AS score, count(*) OVER () AS total",
            f"{order_by(request.sort)} LIMIT ? OFFSET ?",
        ).format(**names)
        rows = conn.execute(page_sql, (*q.params, request.size, request.offset)).fetchall()
        if rows:
            total = int(rows[0][-1])
        else:  # past the last page: the window count has no row to ride on
            total = int(conn.execute(q.sql("count(*)").format(**names), q.params).fetchone()[0])
        hits = tuple(
            SearchHit(pid, float(score), name, cents / PRICE_SCALE, cat, brand, stock > 0, desc)
            for pid, name, cents, cat, brand, stock, desc, score, _ in rows
        )
        facets = self._facets(conn, q, names) if request.facets else {}
        return SearchResult(total, hits, request.page, request.size, facets)

    @staticmethod
    def _facets(
        conn: sqlite3.Connection, q: CompiledQuery, names: dict[str, str]
    ) -> dict[str, tuple[FacetBucket, ...]]:
        facets: dict[str, tuple[FacetBucket, ...]] = {}
        for column in FACET_FIELDS:
            tail = f"GROUP BY d.{column} ORDER BY count(*) DESC, d.{column} ASC LIMIT {FACET_SIZE}"
            sql = q.sql(f"d.{column}, count(*)", tail).format(**names)
            rows = conn.execute(sql, q.params)
            facets[column] = tuple(FacetBucket(str(v), int(n)) for v, n in rows)
        return facets

    def suggest(self, prefix: str, size: int = 5) -> list[str]:
        match = suggest_query(prefix)
        if match is None:
            return []
        try:
            return self._read(lambda conn, index: self._suggest(conn, index, match, size))
        except sqlite3.Error as e:
            raise SearchUnavailable(f"embedded suggest failed: {e}") from e

    @staticmethod
    def _suggest(conn: sqlite3.Connection, index: str, match: str, size: int) -> list[str]:
        t = tables(index)
        rows = conn.execute(
            f"SELECT d.name FROM {t['plain']} f JOIN {t['docs']} d ON d.rowid = f.rowid "
            f"WHERE {t['plain']} MATCH ? ORDER BY (CASE WHEN d.stock > 0 THEN 1.5 ELSE 1.0 END) "
            f"* log10(2 + 0.1 * d.popularity) * -bm25({t['plain']}) DESC, d.id LIMIT ?",
            (match, size * 3),
        ).fetchall()
        return list(dict.fromkeys(name for (name,) in rows))[:size]
