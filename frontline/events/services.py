"""Writing events. Services call `record` inside their own transaction, so a change and its event
commit together or not at all.

`record` is the one writer underneath; apps call it only from their own `events.py`, which has one
keyword-only function per kind the app writes, with that kind's payload keys fixed and documented there.
"""

from frontline.core import clock, rows
from frontline.core.doors import door
from frontline.events.models import EVENT_KINDS, Event

_COLUMNS = [field.attname for field in Event._meta.concrete_fields]


def record(
    kind: str,
    /,
    *,
    actor=None,
    actor_person=None,
    actor_label: str = "",
    via: str = "",
    case=None,
    customer=None,
    unit=None,
    **data,
) -> Event:
    values = {
        "id": None,
        "kind": EVENT_KINDS.check(kind),
        "at": clock.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_person_id": actor_person.pk if actor_person is not None else None,
        "actor_label": actor_label if actor is None else "",
        "via": via,
        "case_id": case.pk if case is not None else None,
        # By id: the case's customer need not be read.
        "customer_id": customer.pk if customer is not None else getattr(case, "customer_id", None),
        "unit_id": unit.pk if unit is not None else None,
        "data": data,
    }
    # Built from its columns in order, as a row read back is: half the cost of keywords through each
    # relation's descriptor, for the several events every message writes.
    event = Event(*[values[name] for name in _COLUMNS])
    rows.insert(event)  # plain SQL: often several events a message at intake's full rate
    for listener in door("FRONTLINE_EVENT_RECORDED"):  # outgoing webhooks: a cached check, no query
        listener(event)
    return event
