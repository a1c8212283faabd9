"""Writing to SQLite from several processes without its busy handler's naps.

SQLite lets one writer in at a time; the others retry after sleeping 1, 2, 5, 10, 15, 20, 25... ms, so two
busy processes spend much of their time asleep while the lock is already free. Around the hottest write
paths (intake from the API and the listener), an OS file lock queues the writers instead: the kernel wakes
the next one the moment the lock is released. PostgreSQL needs none of this.
"""

import fcntl
from contextlib import contextmanager

from django.conf import settings
from django.db import connection


@contextmanager
def machine_lock(name: str):
    """One holder at a time among all processes on this machine (an flock on a file in the data dir)."""
    with open(settings.DATA_DIR / f"{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def queued_writes():
    if connection.vendor != "sqlite":
        yield
        return
    with machine_lock("write"):
        yield
