"""Reading what staff type into the workspace's forms."""

import datetime

from django.utils.dateparse import parse_datetime

from frontline.core.errors import ServiceError


def typed_time(
    raw: str | None, *, field: str, message: str, required: bool = True
) -> datetime.datetime | None:
    """A date and time from a form field, in UTC when it names no zone. Unreadable, or blank when
    `required`: a ServiceError with `message` on `field`; blank when not required: None."""
    value = parse_datetime(raw or "")
    if value is None:
        if required or raw:
            raise ServiceError(message, field=field)
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
