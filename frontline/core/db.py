"""Writing to SQLite from several processes without its busy handler's naps.

SQLite lets one writer in at a time; the others retry after sleeping 1, 2, 5, 10, 15, 20, 25... ms, so two
busy processes spend much of their time asleep while the lock is already free. Around the hottest write
paths (intake from the API and the listener), an OS file lock queues the writers instead: the kernel wakes
the next one the moment the lock is released. PostgreSQL needs none of this.
"""

import fcntl
import functools
import itertools
import os
import threading
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Lookup, Q


class LockTimeout(Exception):
    """The lock stayed taken longer than we wait: a temporary failure (the SMTP listener answers 451)."""


@contextmanager
def machine_lock(name: str, *, wait_seconds: float | None = None):
    """One holder at a time among all processes on this machine (an flock on a file in the data dir).

    The wait is bounded (FRONTLINE_LOCK_WAIT_SECONDS): a stuck holder makes others fail with LockTimeout
    instead of hanging for ever."""
    wait = settings.FRONTLINE_LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    with open(settings.DATA_DIR / f"{name}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait_for_lock(handle.fileno(), wait):
                raise LockTimeout(f"the {name} lock is still held after {wait:g} s") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait_for_lock(fd: int, seconds: float) -> bool:
    """A blocking flock, in a helper thread so that the wait can end: the kernel still hands the lock over
    the moment it is free. The helper holds a duplicate of the descriptor (a flock belongs to the open file,
    which both share); if we stopped waiting before it got the lock, it lets the lock go at once."""
    spare = os.dup(fd)
    guard, got = threading.Lock(), threading.Event()
    state = {"abandoned": False}

    def take() -> None:
        fcntl.flock(spare, fcntl.LOCK_EX)
        with guard:
            if state["abandoned"]:
                fcntl.flock(spare, fcntl.LOCK_UN)
            else:
                got.set()
        os.close(spare)

    threading.Thread(target=take, name="lock-wait", daemon=True).start()
    got.wait(seconds)
    with guard:
        state["abandoned"] = not got.is_set()
    return got.is_set()


@contextmanager
def queued_writes():
    if connection.vendor != "sqlite":
        yield
        return
    with machine_lock("write"):
        yield


_covered: ContextVar[bool] = ContextVar("frontline_savepoint_covers", default=False)


@contextmanager
def covering_savepoint(savepoint: bool = True):
    """A savepoint (`transaction.atomic()`) that stands for those of the services called inside it:
    intake reads each message in one, and anything a service raises inside rolls the whole message back,
    never a part of it. A savepoint and its release are two statements and two of Django's context
    managers, for every message. `savepoint=False`: the caller's transaction stands for them all, and
    what is raised inside rolls it back whole (the API reads its one message so)."""
    token = _covered.set(True)
    try:
        with transaction.atomic() if savepoint else nullcontext():
            yield
    finally:
        _covered.reset(token)


def atomic_service(func):
    """`transaction.atomic` for a service function: its own transaction when called alone, a savepoint
    inside someone else's, and neither inside a `covering_savepoint`, whose rollback covers it (Django's
    savepoint=False: what the service raises marks the enclosing block for rollback). Only for services
    whose callers let what they raise go on up, as intake's do."""

    @functools.wraps(func)
    def atomic(*args, **kwargs):
        with transaction.atomic(savepoint=not _covered.get()):
            return func(*args, **kwargs)

    return atomic


# The largest id a client may name: below every database's integer limit, so no number overflows a query.
MAX_ID = 2**62


def is_row_id(value) -> bool:
    """Whether a value taken from a signed or client-sent structure can be a row's id at all."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def batched(items, size: int):
    """Lists of up to `size` items, in order: a statement's worth of ids or rows (Python 3.12's
    itertools.batched, which 3.11 lacks)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class _EqualsAny(Lookup):
    """`column = ANY(%s)`, the ids passed as they are (one array parameter)."""

    lookup_name = "equals_any"

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


def among(field: str, ids: list[int]) -> Q | Lookup:
    """A filter: `field` is one of `ids`. On PostgreSQL `field = ANY(%s)` with the ids as one array: an IN
    list of 5,000 placeholders cost psycopg's parsing and the planner about 30 ms a statement, 20 of the 24 s
    a fan-out to a million customers took to start. IN elsewhere (SQLite has no arrays)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": ids})
    return _EqualsAny(F(field), ids)


def text_id(text) -> int | None:
    """The row id a piece of text names (ASCII digits, short enough to be under MAX_ID), or None."""
    return int(text) if digits(text) and len(text) < 19 else None


def digits(text) -> bool:
    """Whether text is ASCII digits only: what `int()` reads. (`str.isdigit` also accepts "²" and "٣", on
    which int() raises: a 500 on crafted input.)"""
    return isinstance(text, str) and text.isascii() and text.isdigit()
