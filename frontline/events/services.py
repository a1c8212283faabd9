"""Writing events. Services call `record` inside their own transaction, so a change and its event
commit together or not at all.

`record` is the one writer underneath; apps call it only from their own `events.py`, which has one
keyword-only function per kind the app writes, with that kind's payload keys fixed and documented there.
"""

from frontline.core import clock, rows
from frontline.core.doors import door
from frontline.events.models import EVENT_KINDS, Event


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
    event = Event(
        kind=EVENT_KINDS.check(kind),
        at=clock.now(),
        actor=actor,
        actor_person=actor_person,
        actor_label=actor_label if actor is None else "",
        via=via,
        case=case,
        customer=customer,
        unit=unit,
        data=data,
    )
    if customer is None and case is not None:
        event.customer_id = case.customer_id  # by id: the case's customer need not be read
    rows.insert(event)  # plain SQL: often several events a message at intake's full rate
    for listener in door("FRONTLINE_EVENT_RECORDED"):  # outgoing webhooks: a cached check, no query
        listener(event)
    return event
