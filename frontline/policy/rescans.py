"""A customer asking for a held unit to be scanned again: the way back they can start themselves.

The request is a policy event on the unit's history and a to-do for the people who run the scanner (the
cleanup case's owner sees it too, as a message from the customer). The scanner's next clean result lifts
the containment through the usual path (`decisions.lift_on_good_news`): asking never lifts anything.
"""

from datetime import timedelta

from django.db import transaction

from frontline.core import clock
from frontline.core.errors import Conflict
from frontline.policy import events
from frontline.policy.guardrails import LIVE_STATUSES
from frontline.policy.models import Decision
from frontline.todos import services as todos
from frontline.todos.models import TODO_KINDS, ToDo, ToDoStatus

RESCAN = TODO_KINDS.declare("rescan", "Scan a unit again")  # the customer says it is clean
RESCAN_DUE = timedelta(hours=4)


@transaction.atomic
def request_rescan(decision: Decision, *, person=None, words: str = "", via: str = "portal"):
    """Record the ask and raise the to-do; one open ask per decision is enough."""
    # Only the decision's row is locked: PostgreSQL cannot lock the nullable side of the join to its case.
    locked = Decision.objects.select_for_update(of=("self",)).select_related("unit", "customer", "case")
    decision = locked.get(pk=decision.pk)
    if decision.status not in LIVE_STATUSES:
        raise Conflict("nothing is held on this unit any more", field="decision")
    words = words.strip()[:2000]
    waiting = ToDo.objects.filter(kind=RESCAN, status=ToDoStatus.OPEN, evidence__decision_id=decision.pk)
    if waiting.exists():
        return waiting.first()
    events.rescan_requested(decision=decision, person=person, words=words, via=via)
    return todos.raise_todo(
        kind=RESCAN,
        title=f"Scan {decision.unit.name} again: {decision.customer.name} says it is clean",
        detail=words,
        customer=decision.customer,
        case=decision.case,
        due_at=clock.now() + RESCAN_DUE,
        evidence={"decision_id": decision.pk, "unit_id": decision.unit_id},
        via=via,
    )
