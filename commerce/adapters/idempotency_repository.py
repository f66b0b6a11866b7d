"""Idempotency-Key records: claimed under a unique (scope, key), then completed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commerce.adapters.orm import dml
from commerce.adapters.orm import idempotency_keys as keys


class SqlAlchemyIdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> bool:
        """True if this call created the record (and so owns the work)."""
        dialect = self.session.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(keys)
        stmt = ins.values(
            scope=scope, key=key, request_hash=request_hash, status="in_progress",
            created_at=now, locked_at=now,
        ).on_conflict_do_nothing()  # fmt: skip
        # RETURNING, not rowcount: psycopg reports -1 for INSERT .. ON CONFLICT DO NOTHING.
        return self.session.execute(stmt.returning(keys.c.key)).first() is not None

    def get(self, scope: str, key: str) -> Row[Any] | None:
        query = select(keys).where(keys.c.scope == scope, keys.c.key == key)
        return self.session.execute(query).first()

    def take_over(self, scope: str, key: str, seen_lock: datetime, now: datetime) -> bool:
        """Claim a stale in-progress record (its owner died) — only one taker wins."""
        result = dml(
            self.session,
            update(keys)
            .where(
                keys.c.scope == scope,
                keys.c.key == key,
                keys.c.status == "in_progress",
                keys.c.locked_at == seen_lock,
            )
            .values(locked_at=now),
        )
        return result.rowcount == 1

    def complete(self, scope: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        dml(
            self.session,
            update(keys)
            .where(keys.c.scope == scope, keys.c.key == key)
            .values(status="done", status_code=status_code, response=response),
        )

    def release(self, scope: str, key: str) -> None:
        """Give up an in-progress claim after its work failed. The record and its request hash
        stay: a retry of the same request claims it again (``reclaim``), while another
        request under the same key is still refused; deleting it let that one through."""
        dml(
            self.session,
            update(keys)
            .where(keys.c.scope == scope, keys.c.key == key, keys.c.status == "in_progress")
            .values(status="released"),
        )

    def reclaim(self, scope: str, key: str, now: datetime) -> bool:
        """Claim a released record for a retry — only one taker wins."""
        result = dml(
            self.session,
            update(keys)
            .where(keys.c.scope == scope, keys.c.key == key, keys.c.status == "released")
            .values(status="in_progress", locked_at=now),
        )
        return result.rowcount == 1

    def delete_scope(self, scope: str) -> int:
        """Forget every key of one scope (a user being erased); returns how many."""
        return int(dml(self.session, delete(keys).where(keys.c.scope == scope)).rowcount)
