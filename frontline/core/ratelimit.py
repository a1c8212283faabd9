"""Counting hits per key and time window in the cache that every process shares.

Redis counts atomically by itself. The file cache (the default on one machine) reads and writes a file
per key, so two processes counting at once could both read 4 and both write 5; counting under a machine
lock makes each hit count.
"""

import functools
import ipaddress

from django.conf import settings
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


def count(key: str) -> int:
    """How many hits `key` has in its current window, without adding one."""
    return caches["default"].get(key, 0)


def _count(cache, key: str, window_seconds: int) -> int:
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def client_address(request) -> str:
    """Who is asking: the socket's peer, or, when the peer is one of FRONTLINE_TRUSTED_PROXIES, the address
    that proxy says it served (the right-most one in X-Forwarded-For that is not a proxy of ours). Anyone
    can write X-Forwarded-For; only our own proxies are believed."""
    peer = request.META.get("REMOTE_ADDR") or "unknown"
    if not _is_trusted_proxy(peer):
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _is_trusted_proxy(address):
            return address
    return peer


def client_ip_or_none(request) -> str | None:
    """The client address for records that keep an IP address (django-axes' attempts): None when there is
    none, as for a sign-in made in code."""
    address = client_address(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.FRONTLINE_TRUSTED_PROXIES)))


@functools.cache
def _trusted_networks(entries: tuple[str, ...]) -> list:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def too_many(request, scope: str, *, limit: int, window_seconds: int = 600, key: str = "") -> bool:
    """Count one request of this client (or of `key`, e.g. a chat session) in `scope`; true past `limit`."""
    return hits(f"rate:{scope}:{key or client_address(request)}", window_seconds=window_seconds) > limit
