"""Stamps in the shared cache (Redis in production, a directory on one machine): a value that changes
whenever something a process keeps in memory changes, so every process rereads it at its next use and
none asks the database on every case whether anything changed."""

import uuid
from time import monotonic

from django.core.cache import cache

from frontline.core import chunk

# A process asks the shared cache at most once a second (and once per intake chunk): a rule saved in one
# process reaches the others' next cases within a second, as the policy engine's rules do (RuleCache). A
# round trip to Redis on every API message was about 3% of the message's web CPU; the process that saves
# sees its own change at once.
RECHECK_SECONDS = 1.0
_recent: dict[str, tuple[str, float]] = {}  # name -> (stamp, when this process read it)


def current(name: str) -> str:
    """The stamp now; a lost one (the cache was emptied) is replaced, which makes every process reread."""
    return chunk.once(("stamp", name), lambda: _recently_read(name))


def _recently_read(name: str) -> str:
    now = monotonic()
    known = _recent.get(name)
    if known is not None and now - known[1] < RECHECK_SECONDS:
        return known[0]
    value = _read(name)
    _recent[name] = (value, now)
    return value


def _read(name: str) -> str:
    key = f"stamp:{name}"
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        value = cache.get(key)
    return value


def change(name: str) -> None:
    cache.set(f"stamp:{name}", uuid.uuid4().hex, timeout=None)
    _recent.pop(name, None)
    chunk.forget("stamp")


def forget() -> None:
    """Read every stamp afresh at its next use (a test's shared cache was emptied under it)."""
    _recent.clear()
