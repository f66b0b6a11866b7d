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

_COLUMNS = (
    "id", "email", "password_hash", "role", "country", "is_active", "created_at",
    "password_changed_at",
)  # fmt: skip


def _to_user(row: Row[Any]) -> User:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["created_at"] = as_utc(row.created_at)
    if row.password_changed_at is not None:
        values["password_changed_at"] = as_utc(row.password_changed_at)
    return User(**values)


def _select(condition: Any, for_share: bool, for_update: bool = False) -> Any:
    query = select(users).where(condition)
    # FOR UPDATE (an erasure, a password reset) waits for every FOR SHARE holder and for rows
    # being added that reference the user (their foreign key's KEY SHARE), and holds them off.
    if for_update:
        return query.with_for_update()
    # FOR SHARE waits for a password change in flight and holds one off until commit (a no-op
    # on SQLite, whose writers are serial).
    return query.with_for_update(read=True) if for_share else query


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

    def get(
        self, user_id: str, *, for_share: bool = False, for_update: bool = False
    ) -> User | None:
        """The user; ``for_share`` locks the row against a password change, a reset or an
        erasure until commit, ``for_update`` against everything that share-locks it."""
        query = _select(users.c.id == user_id, for_share, for_update)
        row = self.session.execute(query).first()
        return _to_user(row) if row else None

    def get_by_email(self, email: str, *, for_share: bool = False) -> User | None:
        row = self.session.execute(_select(users.c.email == email, for_share)).first()
        return _to_user(row) if row else None

    def replace_password(self, user_id: str, old_hash: str, new_hash: str, now: datetime) -> bool:
        """Set the new hash only if the stored one is still ``old_hash`` (the one the current
        password was checked against); False when another change got there first."""
        result = dml(
            self.session,
            update(users)
            .where(users.c.id == user_id, users.c.password_hash == old_hash)
            .values(password_hash=new_hash, password_changed_at=now),
        )
        return result.rowcount == 1

    def set_password(self, user_id: str, new_hash: str, now: datetime) -> None:
        """Store a new hash whatever the old one was (a reset: the old password is unknown)."""
        dml(
            self.session,
            update(users)
            .where(users.c.id == user_id)
            .values(password_hash=new_hash, password_changed_at=now),
        )

    def erase(self, user_id: str, email: str, now: datetime) -> None:
        """Forget who the account was: a placeholder email, no country, no password (so no
        login), inactive, and a password change now (so no access token outlives it)."""
        dml(
            self.session,
            update(users)
            .where(users.c.id == user_id)
            .values(email=email, password_hash=None, country=None, is_active=False,
                    password_changed_at=now),
        )  # fmt: skip

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

    def revoke_all(self, user_id: str, now: datetime) -> int:
        """Revoke every live token of the user (every session); returns how many."""
        result = dml(
            self.session,
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now),
        )
        return int(result.rowcount)

    def live_for_user(self, user_id: str, now: datetime) -> list[Row[Any]]:
        """The user's unrevoked, unexpired tokens (its signed-in sessions), oldest first."""
        query = (
            select(refresh_tokens.c.created_at, refresh_tokens.c.expires_at)
            .where(
                refresh_tokens.c.user_id == user_id,
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .order_by(refresh_tokens.c.created_at, refresh_tokens.c.id)
        )
        return list(self.session.execute(query))

    def revoke_family(self, family_id: str, now: datetime) -> None:
        dml(
            self.session,
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now),
        )
