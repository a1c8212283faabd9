"""Counting hits per key and time window in the cache that every process shares.

Redis counts atomically by itself. The file cache (the default on one machine) reads and writes a file
per key, so two processes counting at once could both read 4 and both write 5; counting under a machine
lock makes each hit count.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from frontline.core.db import machine_lock


def hits(key: str, *, window_seconds: int) -> int:
    """Record one hit on `key` and answer how many there were in the current window."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return _count(cache, key, window_seconds)
    with machine_lock("rate-limit"):
        return _count(cache, key, window_seconds)


def _count(cache, key: str, window_seconds: int) -> int:
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1
