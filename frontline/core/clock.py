"""The one clock services read. Tests and the demo's history builder move it; nothing else does.

Frontline measures on the customer's clock, so "now" must be something a test can set without
patching the standard library.
"""

import contextlib
import contextvars
from datetime import datetime

from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "frontline_frozen_now", default=None
)


def now() -> datetime:
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


@contextlib.contextmanager
def frozen_at(moment: datetime):
    """Within the block, `now()` answers `moment`."""
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
