"""The steps every change to a case is made of, shared by the app's services (services, replies, calls):
adding a message, answering, moving the status, setting the owner, recomputing the priority.

They change rows inside the caller's transaction and record the events; the permission checks and the
transaction belong to the public services that call them."""

from frontline.agents.models import Agent
from frontline.cases import clocks, events, priority, search, signals
from frontline.cases.models import Case, CaseStatus, Message
from frontline.core import clock, rows


def add_message(case: Case, *, first: bool = False, **fields) -> Message:
    """`first`: the case's opening message, so the case has no search document yet."""
    message = rows.new(Message, case=case, created_at=clock.now(), **fields)
    rows.insert(message)  # plain SQL: every message intake reads is written here
    search.index_messages([(message.pk, case.pk, message.subject, message.body_text)], new_cases=first)
    return message


def set_priority(case: Case) -> None:
    case.priority, case.priority_explanation = priority.compute_for(case)


def response_due(case: Case, contact_at):
    return clocks.response_due(
        tier=case.customer.tier,
        plan=case.customer.plan,
        impact=case.impact,
        contact_at=contact_at,
        first=case.first_response_at is None,
        team=clocks.team_for_clocks(case),
    )


def answered(case: Case, at) -> None:
    """We answered the customer: the response clock stops and the silence term goes."""
    case.first_response_at = case.first_response_at or at
    case.last_provider_contact_at = at
    case.awaiting_answer_since = None
    case.response_due_at = None


def set_assignee(
    case: Case,
    assignee: Agent | None,
    *,
    by,
    via: str,
    actor_label: str = "",
    reason: str = "",
    unsaved: set[str] | None = None,
) -> None:
    """With `unsaved` the caller saves the case afterwards, and the changed fields are added to it."""
    previous = case.assignee_id
    case.assignee = assignee
    case.assigned_at = case.updated_at = clock.now()
    fields = ["assignee", "assigned_at", "updated_at"]
    if unsaved is None:
        case.save(update_fields=fields)
    else:
        unsaved.update(fields)
    events.assigned(case=case, previous_id=previous, by=by, actor_label=actor_label, via=via, reason=reason)


def transition(case: Case, status: str, *, by, via: str, actor_label: str = "") -> None:
    previous = case.status
    case.status = status
    case.is_open = status in CaseStatus.open_values()
    now = clock.now()
    if status == CaseStatus.RESOLVED:
        case.resolved_at = now
    if status == CaseStatus.CLOSED:
        case.closed_at = now
    if not case.is_open:
        case.response_due_at = None  # nothing is owed on a finished case
    if previous in CaseStatus.open_values() and not case.is_open:
        signals.case_finished.send(sender=Case, case=case)
    events.status_changed(case=case, previous=previous, by=by, actor_label=actor_label, via=via)


def reopen(case: Case, *, by, via: str, reason: str) -> None:
    case.reopen_count += 1
    signals.case_reopened.send(sender=Case, case=case)
    case.resolved_at = None
    case.closed_at = None
    transition(case, CaseStatus.OPEN, by=by, via=via, actor_label=reason)
    events.reopened(case=case, by=by, reason=reason, via=via)
