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
def queued_writes():
    if connection.vendor != "sqlite":
        yield
        return
    path = settings.DATA_DIR / "write.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
