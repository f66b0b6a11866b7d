"""An erasure that cannot get its locks in time (the real PostgreSQL): the caller is told
the account is busy (409 ``account_busy``) and nothing is erased."""

from __future__ import annotations

import pytest
from account_support import UowFactory, customer, delete, refresh_fails, row, stocked
from db_support import with_options
from sqlalchemy import Engine, select

from commerce.adapters.db import make_engine, make_session_factory
from commerce.adapters.orm import reviews, users
from commerce.domain.errors import AccountBusy
from commerce.service_layer import reviews as review_cases
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from serving.errors import STATUS_BY_CODE

pytestmark = pytest.mark.postgres


def test_an_erasure_behind_a_long_held_user_lock_answers_account_busy(
    pg: tuple[Engine, UowFactory],
) -> None:
    """Another transaction holds the user row past the erasure's lock wait: before, the
    driver's lock-timeout error reached the API as 503 ``database_unavailable`` (the database
    is fine; the account was busy)."""
    engine, uow = pg
    email, session = customer(uow)
    user_id = session.user_id
    review_cases.add_review(uow(), user_id, stocked(uow), 5, "Good", "Good mug.")
    # The erasure waits 1 s for its locks instead of the default 10 s (the URL's options win).
    url = with_options(engine.url.render_as_string(hide_password=False), "-c lock_timeout=1000")
    impatient = make_engine(url)
    sessions = make_session_factory(impatient)
    try:
        with engine.connect() as holder, holder.begin():
            holder.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
            with pytest.raises(AccountBusy) as busy:
                delete(lambda: SqlAlchemyUnitOfWork(sessions), user_id)
    finally:
        impatient.dispose()
    assert (busy.value.code, busy.value.message) == (
        "account_busy", "the account is being changed; try again")  # fmt: skip
    assert STATUS_BY_CODE[busy.value.code] == 409
    still = row(uow, users, users.c.id == user_id)
    assert (still.email, still.is_active) == (email, True)
    assert row(uow, reviews, reviews.c.user_id == user_id) is not None
    assert not refresh_fails(uow, session.refresh_token)
