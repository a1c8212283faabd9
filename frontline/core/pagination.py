"""Keyset pagination: the next page starts after the last row seen, so no page costs an OFFSET scan
and nothing counts the whole table. Cursors are opaque to clients and checked when they come back."""

import base64
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from frontline.core.errors import ServiceError


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise ServiceError("the page cursor is not valid; start from the first page", field="after") from exc
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in values)
    ):
        raise ServiceError("the page cursor is not valid; start from the first page", field="after")
    return values


def keyset_page(queryset: QuerySet, *, order: tuple[str, ...], after: str | None, size: int) -> Page:
    """One page of `queryset` in `order` (e.g. ("-priority", "-pk")); the last field must be unique."""
    fields = [name.lstrip("-") for name in order]
    if after:
        values = _decode(after, len(order))
        # (a, b) after (x, y) in descending order: a < x, or a = x and b < y; and so on for more fields.
        condition = Q()
        for depth, name in enumerate(order):
            field = fields[depth]
            op = "lt" if name.startswith("-") else "gt"
            step = Q(**{f"{field}__{op}": values[depth]})
            for earlier in range(depth):
                step &= Q(**{fields[earlier]: values[earlier]})
            condition |= step
        queryset = queryset.filter(condition)
    rows = list(queryset.order_by(*order)[: size + 1])
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = items[-1]
        next_cursor = _encode([getattr(last, field) for field in fields])
    return Page(items=items, next_cursor=next_cursor)
