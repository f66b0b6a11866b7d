"""The same cache contract on the in-process cache and on real Redis."""

from __future__ import annotations

import time

import pytest

from commerce.adapters.cache import Cache, InProcessCache, RedisCache


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Cache:
    if request.param == "in-process":
        return InProcessCache()
    return RedisCache(request.getfixturevalue("redis_url"))


def test_set_get_delete_round_trip(cache: Cache, unique: str) -> None:
    cache.set(f"k:{unique}", b"value")
    assert cache.get(f"k:{unique}") == b"value"
    cache.delete(f"k:{unique}")
    assert cache.get(f"k:{unique}") is None


def test_values_expire(cache: Cache, unique: str) -> None:
    cache.set(f"ttl:{unique}", b"soon gone", ttl_s=0.3)
    assert cache.get(f"ttl:{unique}") == b"soon gone"
    time.sleep(0.5)
    assert cache.get(f"ttl:{unique}") is None


def test_counter_window_starts_at_first_increment(cache: Cache, unique: str) -> None:
    assert [cache.incr(f"c:{unique}", ttl_s=0.5) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.7)
    assert cache.incr(f"c:{unique}", ttl_s=0.5) == 1


def test_counter_reports_the_time_left_of_its_window(cache: Cache, unique: str) -> None:
    """What a refused rate limit tells a client to wait: the window set by the first
    increment, less the time since (a later increment does not extend it)."""
    assert cache.incr_ttl(f"w:{unique}", ttl_s=30) == (1, pytest.approx(30, abs=0.05))
    time.sleep(0.3)
    count, left = cache.incr_ttl(f"w:{unique}", ttl_s=30)
    assert count == 2 and left is not None and 29.0 < left <= 29.75
    assert cache.incr_ttl(f"forever:{unique}") == (1, None)
    cache.delete(f"w:{unique}")
    cache.delete(f"forever:{unique}")


def test_health_reports_the_engine(cache: Cache) -> None:
    assert cache.health()["healthy"] is True


def test_in_process_cache_is_bounded() -> None:
    cache = InProcessCache(max_items=2)
    for key in ("a", "b", "c"):
        cache.set(key, key.encode())
    assert cache.get("a") is None and cache.get("c") == b"c"
