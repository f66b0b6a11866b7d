"""The SQLite tables of one embedded index and how a product's text is written into them.

Each index is a documents table and three FTS5 tables over the same rows: the stemmed fields,
the unstemmed name, and every word unstemmed (with its ``fts5vocab`` vocabulary, for typos).
Their tokenizers split and fold text as the Lucene analysers do (``mapping``); what FTS5
cannot fold is folded in Python before the text is written (``analysis.fold_letters``).
"""

from __future__ import annotations

import sqlite3

from commerce.adapters.search.analysis import fold_letters
from commerce.adapters.search.mapping import PRICE_SCALE
from commerce.domain.search import ProductDoc

# Marks (vowel signs, viramas) are part of words, as in Lucene's standard tokenizer: by
# default unicode61 splits at them, so no Hindi, Bengali, Tamil or Thai word was found whole.
TOKENIZE_PLAIN = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
TOKENIZE_STEMMED = f"porter {TOKENIZE_PLAIN}"
_DOC_COLUMNS = (
    "id, name, description, category, brand, price_cents, popularity, rating, stock, created_at"
)
_TEXT_TABLES = ("fts", "plain", "words")


def tables(index: str) -> dict[str, str]:
    """The quoted names of the index's tables, by role."""
    return {k: f'"{index}__{k}"' for k in ("docs", "fts", "plain", "words", "vocab")}


def create_tables(conn: sqlite3.Connection, index: str) -> None:
    t = tables(index)
    conn.execute(
        f"CREATE TABLE {t['docs']} (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, "
        "name TEXT, description TEXT, category TEXT, brand TEXT, price_cents INTEGER, "
        "popularity REAL, rating REAL, stock INTEGER, created_at TEXT)"
    )
    conn.execute(
        f"CREATE VIRTUAL TABLE {t['fts']} USING fts5(name, description, category, brand, "
        f'tokenize="{TOKENIZE_STEMMED}")'
    )
    # Unstemmed: the name alone for plain BM25, every word for typo tolerance.
    conn.execute(f'CREATE VIRTUAL TABLE {t["plain"]} USING fts5(name, tokenize="{TOKENIZE_PLAIN}")')
    conn.execute(
        f"CREATE VIRTUAL TABLE {t['words']} USING fts5(text, "
        f'tokenize="{TOKENIZE_PLAIN}", detail=none, columnsize=0)'
    )
    conn.execute(f"CREATE VIRTUAL TABLE {t['vocab']} USING fts5vocab({t['words']}, 'row')")


def drop_tables(conn: sqlite3.Connection, index: str) -> None:
    for table in reversed(tables(index).values()):
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def upsert(conn: sqlite3.Connection, t: dict[str, str], doc: ProductDoc) -> None:
    """Write ``doc`` (new, or replacing the product's row) into the tables ``t``."""
    (rowid,) = conn.execute(
        f"INSERT INTO {t['docs']} ({_DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, description=excluded.description, "
        "category=excluded.category, brand=excluded.brand, price_cents=excluded.price_cents, "
        "popularity=excluded.popularity, rating=excluded.rating, stock=excluded.stock, "
        "created_at=excluded.created_at RETURNING rowid",
        (doc.product_id, doc.name, doc.description, doc.category, doc.brand,
         round(doc.price * PRICE_SCALE), doc.popularity, doc.rating, doc.stock,
         doc.created_at.isoformat()),
    ).fetchone()  # fmt: skip
    for table in _TEXT_TABLES:
        conn.execute(f"DELETE FROM {t[table]} WHERE rowid = ?", (rowid,))
    # Query words are folded in Python (analysis.fold); the index text must fold the same.
    name, desc, category, brand = (
        fold_letters(v) for v in (doc.name, doc.description, doc.category, doc.brand)
    )
    conn.execute(
        f"INSERT INTO {t['fts']} (rowid, name, description, category, brand) VALUES (?,?,?,?,?)",
        (rowid, name, desc, category, brand),
    )
    conn.execute(f"INSERT INTO {t['plain']} (rowid, name) VALUES (?,?)", (rowid, name))
    words = f"{name} {desc} {category} {brand}"
    conn.execute(f"INSERT INTO {t['words']} (rowid, text) VALUES (?,?)", (rowid, words))


def delete_rows(conn: sqlite3.Connection, t: dict[str, str], product_id: str) -> int:
    """Remove the product from the tables ``t``: 1 if it was there, else 0."""
    row = conn.execute(
        f"DELETE FROM {t['docs']} WHERE id = ? RETURNING rowid", (product_id,)
    ).fetchone()
    if row is None:
        return 0
    for table in _TEXT_TABLES:
        conn.execute(f"DELETE FROM {t[table]} WHERE rowid = ?", row)
    return 1
