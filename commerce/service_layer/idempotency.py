"""Run a request's work at most once per (user, Idempotency-Key).

The first caller claims the key in its own short transaction and does the work; concurrent
callers with the same key and body wait for its stored response; the same key with a
different body is refused. A claim whose owner died is taken over after STALE_AFTER; one
whose work failed is released for a retry of the same request, keeping the request's hash
(so a different body is refused even then: the work may have got as far as placing the order).
The scope is the user id: the claim share-locks the account first, as every write for a
user does, so a claim never leaves a row for an erased account.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from commerce.adapters.orm import as_utc
from commerce.domain.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyKeyRequired,
)
from commerce.domain.events import utcnow
from commerce.service_layer.account_lock import share_lock_account
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork

STALE_AFTER = timedelta(seconds=120)
MAX_KEY = 128


@dataclasses.dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str | None) -> str:
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise IdempotencyKeyRequired(
            f"an Idempotency-Key header of 1-{MAX_KEY} characters is required",
            {"field": "Idempotency-Key"},
        )
    return key


def run_once(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    scope: str,
    key: str,
    request_hash: str,
    work: Callable[[], StoredResponse],
    wait_s: float = 30.0,
) -> StoredResponse:
    deadline = time.monotonic() + wait_s
    while True:
        stored = _claim(uow_factory(), scope, key, request_hash)
        if stored is None:
            break
        if stored.status_code != 0:
            return stored
        if time.monotonic() > deadline:
            raise IdempotencyInProgress("the first request with this key is still running")
        time.sleep(0.05)
    try:
        response = work()
    except BaseException:
        with uow_factory() as uow:  # let a retry of the same request run the work again
            uow.idempotency.release(scope, key)
            uow.commit()
        raise
    with uow_factory() as uow:
        uow.idempotency.complete(scope, key, response.status_code, response.body)
        uow.commit()
    return response


def _claim(
    uow: SqlAlchemyUnitOfWork, scope: str, key: str, request_hash: str
) -> StoredResponse | None:
    """None: we own the work. status_code 0: someone else is on it. Else: the stored answer."""
    now = utcnow()
    with uow:
        # Shared, first (lock order user -> ...): an erasure in flight ends before this claim,
        # which then finds the account gone (InvalidToken) instead of writing a row for it.
        share_lock_account(uow, scope)
        if uow.idempotency.claim(scope, key, request_hash, now):
            uow.commit()
            return None
        row = uow.idempotency.get(scope, key)
        if row is None:
            return StoredResponse(0, {})  # released meanwhile: try again
        if row.request_hash != request_hash:
            raise IdempotencyConflict("this Idempotency-Key was used with a different request")
        if row.status == "done":
            return StoredResponse(int(row.status_code), dict(row.response), replayed=True)
        if row.status == "released" and uow.idempotency.reclaim(scope, key, now):
            uow.commit()
            return None
        if _stale(row.locked_at, now) and uow.idempotency.take_over(scope, key, row.locked_at, now):
            uow.commit()
            return None
    return StoredResponse(0, {})


def _stale(locked_at: datetime, now: datetime) -> bool:
    return bool(as_utc(locked_at) + STALE_AFTER < now)
