"""Reading JSON that strangers send: bounded in size and in depth, so that no body can exhaust memory or the
stack (a body nested a thousand levels deep made the standard parser raise RecursionError: a 500)."""

import json
from typing import Any

from django.conf import settings

from frontline.core.errors import ServiceError

# Deeper than any body Frontline accepts (a policy event's facts are three levels down).
MAX_DEPTH = 32


class BadJson(ServiceError):
    """The body is not JSON we will read: too large, too deep, or not JSON at all."""


def loads(raw: bytes | str, *, max_bytes: int | None = None) -> Any:
    limit = settings.FRONTLINE_MAX_JSON_BYTES if max_bytes is None else max_bytes
    if len(raw) > limit:
        raise BadJson(f"the body is larger than {limit:,} bytes")
    deep = f"the JSON is nested deeper than {MAX_DEPTH} levels"
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise BadJson(deep) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"the body is not valid JSON: {exc}") from exc
    if _deeper_than(value, MAX_DEPTH):
        raise BadJson(deep)
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Without recursion: a stack of (container, depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False
