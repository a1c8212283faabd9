"""Processes that start others stop them when they are stopped.

SIGTERM (what systemd, Compose and `kill` send) ends a `frontline` command the way Ctrl-C does: through its
`finally` blocks and exit handlers, which stop the children it started. A helper process we spawn also ends
by itself when its parent is gone, even after a kill -9 that runs no handler at all.
"""

import os
import signal
import threading
import time

# Set when this process is asked to stop but finishes its job in hand first (the worker): a long job looks
# at it between chunks and leaves the rest to the next run, so a stop takes seconds even mid-backlog.
stopping = threading.Event()


def exit_on_sigterm() -> None:
    """Make SIGTERM raise SystemExit in the main thread (SIGINT already raises KeyboardInterrupt)."""

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def die_with_parent() -> None:
    """A pool initializer: the helper watches its parent and exits when it is gone (it is then adopted by
    init, so its parent id changes)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
