"""A refused attempt says how long is left of the window that refused it (not the window)."""

from __future__ import annotations

import pytest

from commerce.adapters.cache import InProcessCache
from commerce.domain.errors import RateLimited
from commerce.service_layer.rate_limit import ExportRateLimiter, LoginRateLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now


def test_an_in_process_counter_reports_the_time_left_of_its_window() -> None:
    clock = Clock()
    cache = InProcessCache(clock=clock)
    assert cache.incr_ttl("c", ttl_s=60) == (1, 60.0)
    clock.now += 45.5
    assert cache.incr_ttl("c", ttl_s=60) == (2, 14.5)  # a later hit does not extend it
    clock.now += 14.5
    assert cache.incr_ttl("c", ttl_s=60) == (1, 60.0)  # expired: a new window
    assert cache.incr_ttl("forever") == (1, None)


def test_the_wait_is_whole_seconds_and_at_least_one() -> None:
    assert [retry_after(s, 900) for s in (299.2, 0.01, 0.0, None)] == [300, 1, 1, 900]


def test_a_refused_export_waits_only_for_what_is_left_of_the_hour() -> None:
    clock = Clock()
    limiter = ExportRateLimiter(InProcessCache(clock=clock), per_account=2)
    limiter.hit("u1")
    clock.now += 1_000.25
    limiter.hit("u1")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("u1")
    assert refused.value.details == {"retry_after_seconds": 2_600}


def test_a_login_refused_by_both_counters_waits_for_the_later_one() -> None:
    """The address's window started first; the account's, 100 s later, lasts longer."""
    clock = Clock()
    limiter = LoginRateLimiter(InProcessCache(clock=clock), per_account=1, per_address=2)
    limiter.hit("other@example.com", "10.0.0.1")
    clock.now += 100
    limiter.hit("ada@example.com", "10.0.0.1")
    clock.now += 200
    with pytest.raises(RateLimited) as refused:
        limiter.hit("ada@example.com", "10.0.0.1")
    assert refused.value.details == {"retry_after_seconds": 700}  # account: 900 - 200
