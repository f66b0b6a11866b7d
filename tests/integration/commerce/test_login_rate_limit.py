"""Login limits hold across API workers: two limiters (two processes' worth of state)
sharing the real Redis count the same attempts."""

from __future__ import annotations

import time
import uuid

import pytest

from commerce.adapters.cache import RedisCache
from commerce.domain.errors import RateLimited
from commerce.service_layer.rate_limit import LoginRateLimiter


@pytest.mark.redis
def test_limit_is_shared_between_workers(redis_url: str) -> None:
    worker_a = LoginRateLimiter(RedisCache(redis_url), per_account=4, per_address=100)
    worker_b = LoginRateLimiter(RedisCache(redis_url), per_account=4, per_address=100)
    email = f"{uuid.uuid4().hex}@example.com"
    for i in range(4):  # alternate workers, as a load balancer would
        (worker_a if i % 2 else worker_b).hit(email, f"10.0.0.{i}")
    with pytest.raises(RateLimited):
        worker_a.hit(email, "10.0.0.9")
    worker_b.hit(f"other-{email}", "10.0.0.9")  # another account is unaffected


@pytest.mark.redis
def test_one_address_cannot_spray_many_accounts(redis_url: str) -> None:
    limiter = LoginRateLimiter(RedisCache(redis_url), per_account=100, per_address=3)
    address = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        limiter.hit(f"{uuid.uuid4().hex}@example.com", address)
    with pytest.raises(RateLimited):
        limiter.hit(f"{uuid.uuid4().hex}@example.com", address)


@pytest.mark.redis
def test_a_refusal_waits_only_for_the_rest_of_the_shared_window(redis_url: str) -> None:
    """The wait is the Redis counter's TTL, whichever worker started the window: it was the
    whole window (here 30 s) however much of it had passed."""
    worker_a = LoginRateLimiter(RedisCache(redis_url), per_account=1, window_s=30)
    worker_b = LoginRateLimiter(RedisCache(redis_url), per_account=1, window_s=30)
    email = f"{uuid.uuid4().hex}@example.com"
    worker_a.hit(email, f"203.0.113.{uuid.uuid4().int % 250}")
    time.sleep(2.1)
    with pytest.raises(RateLimited) as refused:
        worker_b.hit(email, f"203.0.113.{uuid.uuid4().int % 250}")
    assert 1 <= refused.value.details["retry_after_seconds"] <= 28
