"""Users and their refresh tokens in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce.adapters.orm import as_utc, dml, refresh_tokens, users
from commerce.domain.errors import EmailTaken
from commerce.domain.users import User

_COLUMNS = ("id", "email", "password_hash", "role", "country", "is_active", "created_at")


def _to_user(row: Row[Any]) -> User:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["created_at"] = as_utc(row.created_at)
    return User(**values)


class SqlAlchemyUserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: User) -> User:
        values = {name: getattr(user, name) for name in _COLUMNS}
        try:
            with self.session.begin_nested():
                self.session.execute(insert(users).values(**values))
        except IntegrityError as e:
            raise EmailTaken("an account with this email exists", {"field": "email"}) from e
        return user

    def get(self, user_id: str) -> User | None:
        row = self.session.execute(select(users).where(users.c.id == user_id)).first()
        return _to_user(row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self.session.execute(select(users).where(users.c.email == email)).first()
        return _to_user(row) if row else None

    def set_role(self, user_id: str, role: str) -> None:
        dml(self.session, update(users).where(users.c.id == user_id).values(role=role))

    def upsert_many(self, items: Sequence[User]) -> int:
        """Insert or refresh customers by id (the catalog loader's customers)."""
        rows = list({u.id: {name: getattr(u, name) for name in _COLUMNS} for u in items}.values())
        if not rows:
            return 0
        dialect = self.session.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(users)
        for start in range(0, len(rows), 500):
            stmt = ins.values(rows[start : start + 500])
            self.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"], set_={"country": stmt.excluded.country}
                )
            )
        return len(rows)


class SqlAlchemyRefreshTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user_id: str, token_hash: str, family_id: str, expires_at: datetime) -> None:
        self.session.execute(
            insert(refresh_tokens).values(
                user_id=user_id,
                token_hash=token_hash,
                family_id=family_id,
                created_at=datetime.now(expires_at.tzinfo),
                expires_at=expires_at,
            )
        )

    def find(self, token_hash: str) -> Row[Any] | None:
        query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        return self.session.execute(query).first()

    def revoke(self, token_hash: str, now: datetime) -> bool:
        """Revoke one live token; False when it was already revoked (a reuse or a race)."""
        result = dml(
            self.session,
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now),
        )
        return result.rowcount == 1

    def revoke_family(self, family_id: str, now: datetime) -> None:
        dml(
            self.session,
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now),
        )
