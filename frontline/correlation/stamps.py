"""Stamps in the shared cache (Redis in production, a directory on one machine): a value that changes
whenever something a process keeps in memory changes, so every process rereads it at its next use and
none asks the database on every case whether anything changed."""

import uuid

from django.core.cache import cache

from frontline.core import chunk


def current(name: str) -> str:
    """The stamp now; a lost one (the cache was emptied) is replaced, which makes every process reread.
    Read once per intake chunk (on one machine the cache is a file: a read for every new case otherwise)."""
    return chunk.once(("stamp", name), lambda: _read(name))


def _read(name: str) -> str:
    key = f"stamp:{name}"
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        value = cache.get(key)
    return value


def change(name: str) -> None:
    cache.set(f"stamp:{name}", uuid.uuid4().hex, timeout=None)
    chunk.forget("stamp")
