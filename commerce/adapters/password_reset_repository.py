"""Password-reset tokens in SQL: one row per user, the token's sha256, single use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commerce.adapters.orm import dml, password_reset_tokens

_t = password_reset_tokens.c


class SqlAlchemyPasswordResetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(self, user_id: str, token_hash: str, now: datetime, expires: datetime) -> None:
        """Store the user's one live token, replacing any earlier one (used or not) in one
        statement: two requests racing leave one row, the last one's."""
        dialect = self.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            password_reset_tokens
        )
        values = {"token_hash": token_hash, "created_at": now, "expires_at": expires}
        stmt = insert.values(user_id=user_id, used_at=None, **values)
        self.session.execute(
            stmt.on_conflict_do_update(index_elements=["user_id"], set_={**values, "used_at": None})
        )

    def find_live(self, token_hash: str, now: datetime) -> Row[Any] | None:
        """The token's row if it is unused and unexpired, else None."""
        query = select(password_reset_tokens).where(
            _t.token_hash == token_hash, _t.used_at.is_(None), _t.expires_at > now
        )
        return self.session.execute(query).first()

    def use(self, token_hash: str, now: datetime) -> bool:
        """Mark the token used if it still is live; False if it is not (used by a racing
        confirm, replaced by a new request, expired or revoked meanwhile)."""
        result = dml(
            self.session,
            update(password_reset_tokens)
            .where(_t.token_hash == token_hash, _t.used_at.is_(None), _t.expires_at > now)
            .values(used_at=now),
        )
        return result.rowcount == 1

    def revoke_for_user(self, user_id: str, now: datetime) -> int:
        """End the user's outstanding token, if any (a password change or a reset)."""
        result = dml(
            self.session,
            update(password_reset_tokens)
            .where(_t.user_id == user_id, _t.used_at.is_(None))
            .values(used_at=now),
        )
        return int(result.rowcount)

    def discard(self, token_hash: str) -> None:
        """Remove a token that was never delivered (its mail failed), unless used already."""
        dml(
            self.session,
            delete(password_reset_tokens).where(_t.token_hash == token_hash, _t.used_at.is_(None)),
        )
