"""The transactional outbox: events are written in the same transaction as the change they
describe, and a relay publishes them afterwards (at least once; consumers dedupe on
``event_id``). Published rows are deleted once they are older than the worker's retention
(``prune_published``), so the table holds the events in flight, not the shop's history."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.orm import outbox
from commerce.domain.events import DomainEvent, utcnow

E = TypeVar("E")
log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 2_000


class SqlAlchemyOutbox:
    """Writes events into the outbox inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: DomainEvent) -> None:
        self.session.execute(
            insert(outbox).values(
                topic=event.topic,
                event_id=str(event.event_id),
                event=event.envelope(),
                created_at=utcnow(),
            )
        )


def _identity(envelope: dict[str, Any]) -> Any:
    return envelope


class SqlAlchemyOutboxSource(Generic[E]):
    """The relay's ``OutboxSource``: ``fetch_unpublished(limit) -> [(id, topic, event)]``.

    ``parse`` turns the stored envelope dict into the caller's event type; the wiring passes
    ``pipelines.events.Event.model_validate`` (commerce does not import pipelines). A row it
    rejects is a dead letter: it gets ``failed_at`` and the error, is logged, and is never
    fetched again, so one bad row cannot hold up the rows behind it. ``dead_letters`` lists
    them; ``retry_dead_letters`` puts them back in line (after a fix to the parser, say).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        parse: Callable[[dict[str, Any]], E] = _identity,
    ) -> None:
        self.session_factory = session_factory
        self.parse = parse

    def _oldest(self, payload: Any, waiting: bool, limit: int) -> list[Any]:
        """Unpublished ``(id, topic, payload)`` rows, oldest first: those still in line
        (``waiting``) or those set aside."""
        state = outbox.c.failed_at.is_(None) if waiting else outbox.c.failed_at.is_not(None)
        query = (
            select(outbox.c.id, outbox.c.topic, payload)
            .where(outbox.c.published_at.is_(None), state)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        with self.session_factory() as session:
            return list(session.execute(query).all())

    def fetch_unpublished(self, limit: int) -> list[tuple[int, str, E]]:
        rows = self._oldest(outbox.c.event, waiting=True, limit=limit)
        parsed: list[tuple[int, str, E]] = []
        for r in rows:
            try:
                parsed.append((int(r.id), str(r.topic), self.parse(dict(r.event))))
            except Exception as e:  # any parser error: the row is set aside, not retried
                log.exception("outbox row %d cannot be relayed and is set aside", r.id)
                self._set_aside(int(r.id), f"{type(e).__name__}: {e}")
        return parsed

    def _set_aside(self, row_id: int, error: str) -> None:
        with self.session_factory.begin() as session:
            session.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(failed_at=utcnow(), error=error[:MAX_ERROR_CHARS])
            )

    def dead_letters(self, limit: int = 100) -> list[tuple[int, str, str]]:
        """Rows set aside, oldest first: ``(id, topic, error)``."""
        rows = self._oldest(outbox.c.error, waiting=False, limit=limit)
        return [(int(r.id), str(r.topic), str(r.error)) for r in rows]

    def retry_dead_letters(self) -> int:
        """Put every set-aside row back in line; returns how many."""
        with self.session_factory.begin() as session:
            result = session.execute(
                update(outbox)
                .where(outbox.c.failed_at.is_not(None), outbox.c.published_at.is_(None))
                .values(failed_at=None, error=None)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def mark_published(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.session_factory.begin() as session:
            session.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(ids)), outbox.c.published_at.is_(None))
                .values(published_at=utcnow())
            )

    def prune_published(self, before: datetime, batch: int = 1000) -> int:
        """Delete the rows published before ``before``, ``batch`` at a time (short
        transactions beside the relay's); returns how many. Rows not yet published and dead
        letters stay. The bus has the events: the outbox only carries them there."""
        removed = 0
        while True:
            with self.session_factory.begin() as session:
                ids = list(
                    session.execute(
                        select(outbox.c.id)
                        .where(outbox.c.published_at < before)
                        .order_by(outbox.c.id)
                        .limit(batch)
                    ).scalars()
                )
                if ids:
                    session.execute(delete(outbox).where(outbox.c.id.in_(ids)))
            removed += len(ids)
            if len(ids) < batch:
                return removed

    def pending_count(self) -> int:
        with self.session_factory() as session:
            query = select(func.count()).where(
                outbox.c.published_at.is_(None), outbox.c.failed_at.is_(None)
            )
            return int(session.execute(query).scalar_one())
