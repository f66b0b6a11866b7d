"""The sandbox provider's own ledger of tokens, charges and refunds (its own SQLite file)."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, number TEXT NOT NULL, brand TEXT,
    last4 TEXT, exp_month INTEGER, exp_year INTEGER, created_at TEXT);
CREATE TABLE IF NOT EXISTS charges (id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,
    amount TEXT NOT NULL, currency TEXT NOT NULL, method TEXT NOT NULL, source TEXT NOT NULL,
    status TEXT NOT NULL, code TEXT, created_at TEXT);
CREATE TABLE IF NOT EXISTS refunds (id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,
    charge_id TEXT NOT NULL, amount TEXT NOT NULL, created_at TEXT);
"""


class RefundRefused(Exception):
    """A refund the ledger will not record; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SandboxLedger:
    """Thread-safe: one lock serialises writers so an idempotency key is claimed once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.executescript(_SCHEMA)
        self.lock = threading.RLock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def add_token(self, number: str, brand: str, exp_month: int, exp_year: int) -> dict[str, Any]:
        token = f"tok_{secrets.token_hex(12)}"
        row = (token, number, brand, number[-4:], exp_month, exp_year, _now())
        with self._tx() as conn:
            conn.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        return {"token": token, "brand": brand, "last4": number[-4:], "exp_month": exp_month,
                "exp_year": exp_year}  # fmt: skip

    def token(self, token: str) -> sqlite3.Row | None:
        with self.lock:
            cur = self._conn.execute("SELECT * FROM tokens WHERE token = ?", (token,))
            row: sqlite3.Row | None = cur.fetchone()
        return row

    def charge_by_key(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            cur = self._conn.execute("SELECT * FROM charges WHERE idempotency_key = ?", (key,))
            row = cur.fetchone()
        return dict(row) if row else None

    def add_charge(self, values: dict[str, Any]) -> dict[str, Any]:
        """Insert unless the key exists; returns whichever charge holds the key."""
        with self._tx() as conn:
            cur = conn.execute(
                "SELECT * FROM charges WHERE idempotency_key = ?", (values["idempotency_key"],)
            )
            existing = cur.fetchone()
            if existing:
                return dict(existing)
            row = {"id": f"ch_{secrets.token_hex(12)}", "created_at": _now(), **values}
            conn.execute(
                "INSERT INTO charges (id, idempotency_key, amount, currency, method, source,"
                " status, code, created_at) VALUES (:id, :idempotency_key, :amount, :currency,"
                " :method, :source, :status, :code, :created_at)",
                row,
            )
        return row

    def add_refund(self, key: str, charge_id: str, amount: str, limit: str) -> dict[str, Any]:
        """Record a refund unless the key exists (then return it). All of a charge's refunds
        together never exceed ``limit`` (the charged amount), checked in the same transaction.

        Raises
        ------
        RefundRefused
            ``idempotency_key_reused`` (the key belongs to another refund) or
            ``amount_exceeds_charge``.
        """
        with self._tx() as conn:
            cur = conn.execute("SELECT * FROM refunds WHERE idempotency_key = ?", (key,))
            existing = cur.fetchone()
            if existing:
                if (existing["charge_id"], existing["amount"]) != (charge_id, amount):
                    raise RefundRefused("idempotency_key_reused")
                return dict(existing)
            done = conn.execute("SELECT amount FROM refunds WHERE charge_id = ?", (charge_id,))
            refunded = sum((Decimal(r["amount"]) for r in done), Decimal(0))
            if refunded + Decimal(amount) > Decimal(limit):
                raise RefundRefused("amount_exceeds_charge")
            row = {"id": f"re_{secrets.token_hex(12)}", "idempotency_key": key,
                   "charge_id": charge_id, "amount": amount, "created_at": _now()}  # fmt: skip
            conn.execute(
                "INSERT INTO refunds VALUES (:id, :idempotency_key, :charge_id, :amount,"
                " :created_at)",
                row,
            )
        return row

    def charge(self, charge_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM charges WHERE id = ?", (charge_id,)).fetchone()
        return dict(row) if row else None

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            charges = [
                dict(r) for r in self._conn.execute("SELECT * FROM charges ORDER BY created_at")
            ]
            refunds = [
                dict(r) for r in self._conn.execute("SELECT * FROM refunds ORDER BY created_at")
            ]
        return {"charges": charges, "refunds": refunds}
