"""What a chunk of intake reads once instead of once per message.

Intake reads a backlog in chunks of a few hundred messages, each chunk one transaction. Some of what every
message needs is the same for the whole chunk: the router's model and its predictions for the chunk's
texts, the skills and the agents who have them with their track records. Inside `reading()` a service asks
`once(key, compute)` and gets the chunk's answer; outside a chunk (a page, the API, a task) every call
computes afresh, exactly as before.

Only what no message in the chunk changes is kept, or what the service that changes it `forget`s: a
chunk is one transaction, so on SQLite nothing else writes meanwhile; on PostgreSQL a change another
process commits (an agent made unavailable) is seen by the next chunk, under a second later.
"""

from collections.abc import Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_store: ContextVar[dict | None] = ContextVar("intake_chunk", default=None)


@contextmanager
def reading():
    """One chunk's reading: what is computed once inside it is forgotten at its end."""
    token = _store.set({})
    try:
        yield
    finally:
        _store.reset(token)


def active() -> bool:
    return _store.get() is not None


def once(key: Hashable, compute: Callable[[], T]) -> T:
    """compute() once per chunk; every call outside a chunk computes."""
    store = _store.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def remember(key: Hashable, value) -> None:
    """Keep a value the chunk worked out ahead (a prediction made for many texts in one call)."""
    store = _store.get()
    if store is not None:
        store[key] = value


def recall(key: Hashable, default=None):
    store = _store.get()
    return default if store is None else store.get(key, default)


def forget(kind: str) -> None:
    """Drop every answer kept under keys (kind, ...) or kind: something the chunk wrote changed them."""
    store = _store.get()
    if store:
        for key in [k for k in store if k == kind or (isinstance(k, tuple) and k and k[0] == kind)]:
            del store[key]
