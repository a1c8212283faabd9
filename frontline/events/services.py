"""Writing events. Services call `record` inside their own transaction, so a change and its event
commit together or not at all."""

from frontline.core import clock
from frontline.events.models import Event, EventKind


def record(
    kind: EventKind,
    /,
    *,
    actor=None,
    actor_label: str = "",
    via: str = "",
    case=None,
    customer=None,
    unit=None,
    **data,
) -> Event:
    if customer is None and case is not None:
        customer = case.customer_id and case.customer
    return Event.objects.create(
        kind=kind,
        at=clock.now(),
        actor=actor,
        actor_label=actor_label if actor is None else "",
        via=via,
        case=case,
        customer=customer,
        unit=unit,
        data=data,
    )
