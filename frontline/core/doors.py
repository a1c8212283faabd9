"""Doors: ordered lists of dotted paths in settings, through which an app contributes to another app's work
without that app importing it (the project's idiom, like the periodic jobs' list).

- `FRONTLINE_CASE_PANELS`: callables `(request, case) -> Panel | None`, shown on the case page in order.
- `FRONTLINE_MAIL_INTERPRETERS`: callables `(IncomingMail) -> Outcome | None` that intake walks in order
  for every mail until one says what the mail is.
- `FRONTLINE_CASE_OPENED`: callables `(case) -> None`, run inside the transaction that opens any case, with
  the case as open_case returned it (its opening units and message on it).
- `FRONTLINE_ACKNOWLEDGEMENT_NOTES`: callables `(case) -> str | None`, paragraphs the acknowledgement of a new
  case carries besides its reference ("we already know": the incident it joined).
- `FRONTLINE_REPLY_CHECKS`: callables `(case, body) -> Caution | None` an agent's reply is checked against;
  a caution holds the reply until the agent confirms it.
- `FRONTLINE_CASE_MAIL_FOOTERS`: callables `(case) -> str | None`, lines under every email we send a customer
  on a case (the portal's link to follow it online).
- `FRONTLINE_LINK_LANDINGS`: callables `(request, customer, things) -> (label, url) | None`, run when a
  customer opens a signed link we sent about `things` (("case", id), ("notification", id)): where they may
  go next from its page (the portal, let in for those things).
- `FRONTLINE_NOTICE_ATTACHMENTS`: callables `(notification, address) -> [(filename, bytes, content type)]`,
  attached to a notice sent by email (a maintenance notice's calendar entry).

- `FRONTLINE_EVENT_RECORDED`: callables `(event) -> None`, run inside the transaction of every event written
  (outgoing webhooks store their deliveries there). On every path, intake's too: keep them cheap.

A new app adds its paths to these lists in settings and edits no other app. A test imports every path.
"""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

DOORS = (
    "FRONTLINE_CASE_PANELS",
    "FRONTLINE_MAIL_INTERPRETERS",
    "FRONTLINE_NOTICE_ATTACHMENTS",
    "FRONTLINE_CASE_OPENED",
    "FRONTLINE_REPLY_CHECKS",
    "FRONTLINE_ACKNOWLEDGEMENT_NOTES",
    "FRONTLINE_CASE_MAIL_FOOTERS",
    "FRONTLINE_LINK_LANDINGS",
    "FRONTLINE_EVENT_RECORDED",
)


@cache
def _resolve(paths: tuple[str, ...]) -> tuple[Callable, ...]:
    return tuple(import_string(path) for path in paths)


def door(name: str) -> tuple[Callable, ...]:
    """The callables behind a door, resolved once per list (a changed setting, as in tests, resolves anew)."""
    return _resolve(tuple(getattr(settings, name)))
