"""Writing events. Services call `record` inside their own transaction, so a change and its event
commit together or not at all.

`record` is the one writer underneath; apps call it only from their own `events.py`, which has one
keyword-only function per kind the app writes, with that kind's payload keys fixed and documented there.

Inside `written_together()` the events recorded are written as the block ends, in one statement: a new
case records three to six, each otherwise an INSERT of its own. They may then name a case that is not
written yet (a new case is decided, routed and scored before its row is written once): its id is read
as they are written.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from frontline.core import clock, rows
from frontline.core.doors import door
from frontline.events.models import EVENT_KINDS, Event

_COLUMNS = [field.attname for field in Event._meta.concrete_fields]

# The events a `written_together` block has recorded, each with the case it names; None outside one.
_held: ContextVar[list | None] = ContextVar("frontline_events_held", default=None)


@contextmanager
def written_together():
    """Events recorded inside are written as the block ends, in one INSERT, in the order recorded; the
    listeners hear of each then. What the block raises discards them with the rest of its work. Inside
    another such block, the outer one writes them."""
    if _held.get() is not None:
        yield
        return
    token = _held.set([])
    try:
        yield
        _write(_held.get())
    finally:
        _held.reset(token)


def _write(held: list) -> None:
    for event, case in held:
        if event.case_id is None and case is not None:
            event.case_id = case.pk  # written since it was named
    rows.insert_many([event for event, _ in held])
    for event, _ in held:
        for listener in door("FRONTLINE_EVENT_RECORDED"):
            listener(event)


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
    held = _held.get()
    if held is not None:
        held.append((event, case))
        return event
    if case is not None and case.pk is None:  # its event would be written with no case, and lost from it
        raise ValueError(f"a {kind} event names a case not written yet: record it inside written_together()")
    rows.insert(event)  # plain SQL: often several events a message at intake's full rate
    for listener in door("FRONTLINE_EVENT_RECORDED"):  # outgoing webhooks: a cached check, no query
        listener(event)
    return event
