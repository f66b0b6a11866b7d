"""The outbox stores events in the envelope's shape, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from commerce.adapters.outbox import SqlAlchemyOutboxSource
from commerce.domain.events import ProductCreated
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

ENVELOPE_KEYS = {
    "event_id", "type", "ts", "user_id", "session_id", "request_id", "product_id",
    "payload", "schema_version",
}  # fmt: skip


def _event(sku: str) -> ProductCreated:
    return ProductCreated(
        product_id=sku,
        sku=sku,
        name="n",
        price=Decimal("1.10"),
        currency="GBP",
        category_path="",
    )


def test_committed_events_are_fetched_once_marked(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    session_factory: sessionmaker[Session],
    ref: Callable[..., str],
) -> None:
    source = SqlAlchemyOutboxSource(session_factory)
    source.mark_published([i for i, _, _ in source.fetch_unpublished(10_000)])
    sku = ref()
    with uow_factory() as uow:
        uow.emit(_event(sku))
        uow.commit()
    with uow_factory() as uow:
        uow.emit(_event(ref()))  # rolled back: never visible
    fetched = source.fetch_unpublished(100)
    assert [e["product_id"] for _, _, e in fetched] == [sku]
    _, topic, envelope = fetched[0]
    assert topic == "commerce" and set(envelope) == ENVELOPE_KEYS
    assert envelope["type"] == "ProductCreated" and envelope["payload"]["price"] == "1.10"
    source.mark_published([fetched[0][0]])
    assert source.fetch_unpublished(100) == []


def test_a_row_the_parser_rejects_is_set_aside_and_does_not_block_the_rest(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    session_factory: sessionmaker[Session],
    ref: Callable[..., str],
) -> None:
    bad_sku, good_sku = ref(), ref()

    def parse(envelope: dict[str, Any]) -> dict[str, Any]:
        if envelope["product_id"] == bad_sku:
            raise ValueError("schema_version 99 is not understood")
        return envelope

    source = SqlAlchemyOutboxSource(session_factory, parse=parse)
    source.mark_published([i for i, _, _ in source.fetch_unpublished(10_000)])
    with uow_factory() as uow:
        uow.emit(_event(bad_sku))
        uow.emit(_event(good_sku))
        uow.commit()
    fetched = source.fetch_unpublished(100)
    assert [e["product_id"] for _, _, e in fetched] == [good_sku]
    source.mark_published([fetched[0][0]])
    assert source.fetch_unpublished(100) == [] and source.pending_count() == 0
    [(row_id, topic, error)] = source.dead_letters()
    assert topic == "commerce" and error == "ValueError: schema_version 99 is not understood"
    # Put back in line: fetched (and set aside) again while the parser still rejects it.
    assert source.retry_dead_letters() == 1
    assert source.pending_count() == 1
    assert source.fetch_unpublished(100) == []
    assert [r for r, _, _ in source.dead_letters()] == [row_id]
    source.mark_published([row_id])  # leave the shared database clean
    assert source.dead_letters() == []
