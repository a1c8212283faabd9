"""Signed links: every link the product mails a customer (acknowledge a notice, confirm a message or a chat,
verify an address) is made and read here.

Whoever holds such a link may press its button, so the token is the key: signed with the secret key, salted
per kind of link so that one kind cannot stand in for another, and read back only within its maximum age.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing

from frontline.core.db import is_row_id
from frontline.core.doors import door
from frontline.core.errors import ServiceError

NOT_VALID = "this link is not valid"


def make_link(path: str, data: dict, *, salt: str) -> str:
    """The full URL of `path`/<token>/ on this site, the token carrying `data`."""
    token = signing.dumps(data, salt=salt, compress=True)
    return f"{settings.SITE_URL.rstrip('/')}/{path.strip('/')}/{token}/"


def read_link(token: str, *, salt: str, max_age: timedelta, ids: tuple[str, ...], expired: str) -> dict:
    """The data a token carries. A ServiceError with `expired` when it is too old, "not valid" when it was
    not signed by us for this kind of link, or when any of the keys named in `ids` is not a row id."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ServiceError(expired, field="token") from exc
    except signing.BadSignature as exc:
        raise ServiceError(NOT_VALID, field="token") from exc
    if not isinstance(data, dict) or not all(is_row_id(data.get(key)) for key in ids):
        raise ServiceError(NOT_VALID, field="token")
    return data


def landing(request, customer, things: list[tuple[str, int]]) -> tuple[str, str] | None:
    """Where the holder of a signed link about `things` of `customer` may go next (FRONTLINE_LINK_LANDINGS):
    (words, URL) for the link's page, or None."""
    for land in door("FRONTLINE_LINK_LANDINGS"):
        found = land(request, customer, things)
        if found:
            return found
    return None
