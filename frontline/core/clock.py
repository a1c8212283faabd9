"""The one clock services read. Tests, benchmarks and the demo's history builder move it; nothing else does.

Frontline measures on the customer's clock, so "now" must be something a test can set without
patching the standard library. Two ways to move it:

- `frozen_at(moment)`: within one process, `now()` answers `moment`.
- A clock file (`FRONTLINE_CLOCK_FILE`) that every process reads: `{"real": <unix time>, "virtual":
  <ISO time>, "speed": <factor>}` means "at real time `real` it was `virtual`, and it runs `speed` times
  as fast". Workers, the web server and the test all see the same time, so a ladder's fifteen-minute wait
  can pass in fifteen real seconds (speed 60), or not at all until the test moves it (speed 0).
"""

import contextlib
import contextvars
import json
import os
import time
from datetime import UTC, datetime, timedelta

from frontline.core import chunk

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "frontline_frozen_now", default=None
)
_file_cache: dict = {"path": None, "mtime": None, "anchor": None}


def _clock_path() -> str | None:
    return os.environ.get("FRONTLINE_CLOCK_FILE")


def _clock_file() -> tuple[float, datetime, float] | None:
    # Looked up once per intake chunk: a lookup in os.environ costs as much as the rest of now().
    path = chunk.once("clock file", _clock_path)
    if not path:
        return None
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    mtime = (stat.st_mtime_ns, stat.st_ino)  # a replaced file has a new inode even within one tick
    if _file_cache["path"] != path or _file_cache["mtime"] != mtime:
        with open(path) as handle:
            data = json.load(handle)
        anchor = (float(data["real"]), datetime.fromisoformat(data["virtual"]), float(data.get("speed", 1)))
        _file_cache.update(path=path, mtime=mtime, anchor=anchor)
    return _file_cache["anchor"]


def now() -> datetime:
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    anchor = _clock_file()
    if anchor is None:
        return datetime.now(UTC)  # timezone.now() without reading settings.USE_TZ, which Frontline sets
    real, virtual, speed = anchor
    return virtual + timedelta(seconds=(time.time() - real) * speed)


def speed() -> float:
    """How many clock seconds pass per real second: leases and timeouts measured in real time scale by it."""
    anchor = None if _frozen.get() is not None else _clock_file()
    return anchor[2] if anchor else 1.0


def set_clock_file(path, moment: datetime, *, speed: float = 1.0) -> None:
    """Write a clock file every process reading `path` follows. Atomic: a reader sees old or new, whole."""
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w") as handle:
        json.dump({"real": time.time(), "virtual": moment.isoformat(), "speed": speed}, handle)
    os.replace(temporary, path)


@contextlib.contextmanager
def frozen_at(moment: datetime):
    """Within the block, `now()` answers `moment`."""
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
