"""The first lock of every write for a customer: their user row, shared.

An erasure (``DELETE /users/me``) locks the row ``for_update`` before anything else, so a
write holding the share lock ends before it and the erasure then sees (and forgets) what it
wrote; a write arriving during the erasure waits and then finds the account gone instead of
leaving rows behind on an erased account. The lock order is user -> cart -> order -> stock
-> payment (docs/TEAM_NOTES.md).
"""

from __future__ import annotations

from commerce.domain.errors import InvalidToken
from commerce.domain.users import User
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork


def share_lock_account(uow: SqlAlchemyUnitOfWork, user_id: str) -> User:
    """Share-lock the user row until commit and return the account.

    Call it first in the transaction, before any other lock.

    Raises
    ------
    InvalidToken
        The account no longer exists or is disabled (erased meanwhile: the request's token
        was checked in a read of its own, before this transaction).
    """
    user = uow.users.get(user_id, for_share=True)
    if user is None or not user.is_active:
        raise InvalidToken("the account behind this token does not exist or is disabled")
    return user
