"""The cache engine: counters and short-lived values (rate limits, sessions, query results).

``InProcessCache`` is the embedded default (one process only); ``RedisCache`` shares state
across API workers. Both speak bytes so callers choose their own encoding.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis


class CacheError(Exception):
    code = "cache_unavailable"


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl_s: float | None = None) -> int:
        """Add one to a counter; ``ttl_s`` starts its expiry when the counter is created."""
        ...

    def incr_ttl(self, key: str, ttl_s: float | None = None) -> tuple[int, float | None]:
        """``incr``, also answering the seconds until the counter expires (None: never), as
        one atomic step, so a rate limit can tell a client when it resets."""
        ...

    def health(self) -> dict[str, object]: ...


class InProcessCache:
    """A thread-safe LRU with per-key expiry, bounded to ``max_items`` entries.

    Counters (``incr``: rate limits) are kept apart, in their own LRU of ``max_counters``:
    cached values, which anyone can add by searching, can never evict them (that reset the
    login limits). ``clock`` (monotonic seconds) is there for tests of expiry."""

    def __init__(
        self,
        max_items: int = 10_000,
        max_counters: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._items: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._counters: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_items, self._max_counters = max_items, max_counters

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        for store in (self._counters, self._items):
            item = store.get(key)
            if item is not None and item[1] is not None and item[1] <= self._clock():
                del store[key]
                return None
            if item is not None:
                return item
        return None

    @staticmethod
    def _store(
        store: OrderedDict[str, tuple[bytes, float | None]], limit: int, key: str,
        value: bytes, expires: float | None,
    ) -> None:  # fmt: skip
        store[key] = (value, expires)
        store.move_to_end(key)
        while len(store) > limit:
            store.popitem(last=False)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._live(key)
            if item is None:
                return None
            if key in self._items:
                self._items.move_to_end(key)
            return item[0]

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        expires = self._clock() + ttl_s if ttl_s else None
        with self._lock:
            self._counters.pop(key, None)
            self._store(self._items, self._max_items, key, value, expires)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._counters.pop(key, None)

    def incr(self, key: str, ttl_s: float | None = None) -> int:
        return self.incr_ttl(key, ttl_s)[0]

    def incr_ttl(self, key: str, ttl_s: float | None = None) -> tuple[int, float | None]:
        with self._lock:
            now = self._clock()
            item = self._live(key)
            if item is None:
                expires = now + ttl_s if ttl_s else None
                count = 1
            else:
                count, expires = int(item[0]) + 1, item[1]
            self._items.pop(key, None)
            self._store(self._counters, self._max_counters, key, str(count).encode(), expires)
            return count, None if expires is None else expires - now

    def health(self) -> dict[str, object]:
        return {"healthy": True, "engine": "in-process", "items": len(self._items),
                "counters": len(self._counters)}  # fmt: skip


class RedisCache:
    """Redis through redis-py, with bounded socket timeouts."""

    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.url = url
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )

    def _call(self, method: str, *args: object, **kwargs: object) -> object:
        try:
            return getattr(self._client, method)(*args, **kwargs)
        except redis.RedisError as e:
            raise CacheError(f"Redis at {self.url} failed on {method}: {e}") from e

    def get(self, key: str) -> bytes | None:
        value = self._call("get", key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        px = int(ttl_s * 1000) if ttl_s else None
        self._call("set", key, value, px=px)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def incr(self, key: str, ttl_s: float | None = None) -> int:
        return self.incr_ttl(key, ttl_s)[0]

    def incr_ttl(self, key: str, ttl_s: float | None = None) -> tuple[int, float | None]:
        # One round trip, in MULTI/EXEC: the TTL read is the one the increment left.
        pipe = self._client.pipeline()
        pipe.incr(key)
        if ttl_s:
            # NX: only the first increment sets the window, so the limit is a fixed window.
            pipe.pexpire(key, int(ttl_s * 1000), nx=True)
        pipe.pttl(key)
        try:
            answers = pipe.execute()
        except redis.RedisError as e:
            raise CacheError(f"Redis at {self.url} failed on incr: {e}") from e
        ttl_ms = int(answers[-1])  # -1: no expiry (-2, no key, cannot follow an INCR)
        return int(answers[0]), ttl_ms / 1000 if ttl_ms >= 0 else None

    def health(self) -> dict[str, object]:
        try:
            info = self._client.info("server")
        except redis.RedisError as e:
            return {
                "healthy": False,
                "engine": "redis",
                "url": self.url,
                "error": str(e),
            }
        return {
            "healthy": True,
            "engine": "redis",
            "url": self.url,
            "version": info.get("redis_version"),
        }

    def close(self) -> None:
        self._client.close()


def cache_from_url(url: str) -> Cache:
    """``memory://`` → :class:`InProcessCache`; ``redis://…`` → :class:`RedisCache`."""
    if url.startswith("memory://"):
        return InProcessCache()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url)
    raise ValueError(f"unsupported cache URL {url!r}: use memory:// or redis://host:port/db")
