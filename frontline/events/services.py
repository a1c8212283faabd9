"""Writing events. Services call `record` inside their own transaction, so a change and its event
commit together or not at all.

`record` is the one writer underneath; apps call it only from their own `events.py`, which has one
keyword-only function per kind the app writes, with that kind's payload keys fixed and documented there.
"""

from django.db import connection

from frontline.core import clock
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
    if customer is None and case is not None:
        customer = case.customer_id and case.customer
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
    _insert(event)
    return event


# Plain SQL for the one write every change makes, often several times a message at intake's full rate:
# the ORM's save path cost several times the insert itself. The values are prepared by the model's own
# fields, so what is stored is what Event.objects.create would store.
_COLUMNS = ("kind", "at", "actor", "actor_person", "actor_label", "via", "case", "customer", "unit", "data")


def _insert(event: Event) -> None:
    fields = [Event._meta.get_field(name) for name in _COLUMNS]
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO events_event ({columns}) VALUES ({marks}) RETURNING id", values)
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias
