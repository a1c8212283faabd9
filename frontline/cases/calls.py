"""Calls we make to a customer, and callbacks we promise: a clock on the case, a to-do for staff, and a timer
row (`CallbackDue`) that a recurring job takes at the promised time, recording a missed promise as failure
demand."""

import logging
from datetime import datetime

from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases import events
from frontline.cases.lifecycle import add_message, answered, set_priority
from frontline.cases.models import CallbackDue, Case, Channel, DemandType, Direction, Message
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.todos import services as todos
from frontline.todos.models import ToDo, ToDoKind, ToDoStatus

log = logging.getLogger(__name__)


@transaction.atomic
def log_outbound_call(
    case: Case,
    *,
    by: Agent,
    number: str,
    summary: str,
    duration_seconds: int = 0,
    reached: bool = True,
    via: str = "web",
) -> Message:
    """We called the customer. A call made before a promised time keeps the promise."""
    require(by, Capability.WORK_CASES)
    if not summary.strip():
        raise ServiceError("say what was said (or that nobody answered)", field="summary")
    case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
    message = add_message(
        case,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        author_agent=by,
        recipients=number[:255],
        body_text=summary.strip(),
        duration_seconds=max(int(duration_seconds or 0), 0),
        sent_at=clock.now(),
    )
    events.call_logged(case=case, message=message, reached=reached, by=by, via=via)
    now = clock.now()
    if reached:
        answered(case, now)
        if case.callback_due_at is not None:
            kept = now <= case.callback_due_at
            if kept:
                events.callback_kept(case=case, by=by, via=via)
            case.callback_due_at = None
            CallbackDue.objects.filter(case=case).delete()  # nothing left to judge
            _finish_callback_todos(case, by, "called: " + summary.strip()[:200])
    case.updated_at = now
    set_priority(case)
    case.save()
    return message


def _finish_callback_todos(case: Case, agent: Agent, outcome: str) -> None:

    for todo in ToDo.objects.filter(case=case, kind=ToDoKind.CALL_BACK, status=ToDoStatus.OPEN):
        todos.finish_todo(todo, by=agent, outcome=outcome)


def promise_callback(case: Case, *, by: Agent, due_at, number: str = "", via: str = "web"):
    """ "We will call you back by ...": a clock on the case, a to-do for staff, and a job at the time."""

    require(by, Capability.WORK_CASES)
    if due_at <= clock.now():
        raise ServiceError("a callback is promised for a time still to come", field="due_at")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("customer").get(pk=case.pk)
        case.callback_due_at = due_at
        case.updated_at = clock.now()
        case.save(update_fields=["callback_due_at", "updated_at"])
        events.callback_promised(case=case, number=number, by=by, via=via)
        todo = todos.raise_todo(
            kind=ToDoKind.CALL_BACK,
            title=f"Call {case.customer.name} back by {due_at:%Y-%m-%d %H:%M} UTC ({case.ref})",
            detail=f"Number: {number}" if number else "",
            case=case,
            assignee=case.assignee or by,
            due_at=due_at,
            by=by,
            via=via,
        )
        CallbackDue.objects.create(case=case, due_at=due_at)
    return todo


def check_callbacks(batch: int = 500) -> int:
    """The recurring job (every few seconds): the promises whose time has come are judged, once; more than a
    batch at once are left to the next pass. Answers how many were missed."""
    due = (
        CallbackDue.objects.filter(due_at__lte=clock.now())
        .order_by("due_at")
        .values_list("case_id", "due_at")
    )
    missed = 0
    for case_id, due_at in list(due[:batch]):
        try:
            missed += check_callback(case_id, due_at.isoformat())
        except Exception:  # a bug of ours with one case must not cost the others their judgement
            log.exception("could not judge the callback promised on case %s", case_id)
    return missed


@transaction.atomic
def check_callback(case_pk: int, due_at_iso: str) -> bool:
    """At the promised time: if the promise still stands unkept, it is missed. Answers whether it was. Its
    timer row is taken under the case's lock, so two workers (or a job queued before the rows, and the
    recurring job) judge a promise once."""
    case = Case.objects.select_for_update().select_related("customer").get(pk=case_pk)
    due_at = datetime.fromisoformat(due_at_iso)
    if due_at > clock.now():
        return False
    taken, _ = CallbackDue.objects.filter(case_id=case_pk, due_at=due_at).delete()
    if not taken:
        return False  # judged already
    if case.callback_due_at is None or case.callback_due_at != due_at:
        return False  # kept, or replaced by a later promise with a timer of its own
    case.demand_type = DemandType.FAILURE
    case.failure_reason = "missed callback promise"
    case.updated_at = clock.now()
    set_priority(case)
    case.save()
    events.callback_missed(case=case, due_at=due_at_iso)
    return True
