"""Postmortems: the root cause in our words, the impact computed from the state history, corrective actions
typed as site reliability practice types them (investigate, mitigate, repair, detect, prevent), each with an
owner and a due date set by its priority, reminded before it is due and raised when overdue, and closed
only with what shows the fix works. Affected customers, and only they, get a summary with their own
timeline: when they first told us, when we told them, when it was fixed, when they confirmed.
"""

from datetime import timedelta

from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import leads_of, require
from frontline.cases import events as case_events
from frontline.core import clock, texts
from frontline.core.errors import Conflict, ServiceError, require_choice
from frontline.events.models import Event
from frontline.incidents import events, evidence, ledger, repeats
from frontline.incidents.models import (
    ACTION_DUE_DAYS,
    ActionKind,
    ActionPriority,
    ActionStatus,
    CauseClass,
    CorrectiveAction,
    Incident,
    IncidentCase,
    Postmortem,
    VerificationKind,
)
from frontline.notifications import services as notifications
from frontline.notifications.models import SubjectKind, Urgency
from frontline.scheduling.later import later
from frontline.todos.models import TODO_KINDS
from frontline.todos.services import raise_todo

ACTION_DUE = TODO_KINDS.declare("action_due", "A corrective action is due soon")
ACTION_OVERDUE = TODO_KINDS.declare("action_overdue", "A corrective action is overdue")
REMIND_BEFORE = timedelta(days=2)


@transaction.atomic
def write_postmortem(
    incident: Incident, *, root_cause: str, cause_class: str, by, via: str = "web"
) -> Postmortem:
    """Written (or rewritten) once the incident is resolved; the impact is computed, never typed."""
    require(by, Capability.RUN_INCIDENTS)
    require_choice(cause_class, CauseClass, "cause_class")
    root_cause = (root_cause or "").strip()
    if not root_cause:
        raise ServiceError(
            "say what the root cause was (or that it is not yet known, and why)", field="root_cause"
        )
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_open:
        raise Conflict("a postmortem follows the resolution: resolve the incident first", field="incident")
    customers, units, minutes = evidence.customer_minutes_lost(incident)
    postmortem, _created = Postmortem.objects.update_or_create(
        incident=incident,
        defaults=dict(
            root_cause=root_cause,
            cause_class=cause_class,
            customers=customers,
            units=units,
            customer_minutes_lost=minutes,
            written_at=clock.now(),
            written_by=by,
        ),
    )
    events.postmortem_written(postmortem=postmortem, by=by, via=via)
    repeats.check(incident)  # the cause class may make it a repeat its components did not
    return postmortem


def add_action(
    postmortem: Postmortem, *, kind: str, description: str, owner: Agent, priority: str, by, via: str = "web"
) -> CorrectiveAction:
    require(by, Capability.RUN_INCIDENTS)
    require_choice(kind, ActionKind, "kind")
    require_choice(priority, ActionPriority, "priority")
    description = (description or "").strip()
    if not description:
        raise ServiceError("say what will be done", field="description")
    if owner is None:
        raise ServiceError("every corrective action has an owner", field="owner")
    now = clock.now()
    action = CorrectiveAction.objects.create(
        postmortem=postmortem,
        kind=kind,
        description=description,
        owner=owner,
        priority=priority,
        due_at=now + timedelta(days=ACTION_DUE_DAYS[priority]),
        created_at=now,
    )
    events.action_changed(action=action, change="added", by=by, via=via)
    return action


@transaction.atomic
def complete_action(
    action: CorrectiveAction, *, verification_kind: str, verification: str, by, via: str = "web"
) -> CorrectiveAction:
    """Done means shown to work: a test, an alert rule, a rehearsal, or a link to the change."""
    require(by, Capability.WORK_CASES)
    action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    if action.status == ActionStatus.DONE:
        raise Conflict("this action is already done", field="status")
    if not verification_kind:
        raise ServiceError(
            "say what shows the fix works: a test, an alert rule, a rehearsal or a link",
            field="verification_kind",
        )
    require_choice(verification_kind, VerificationKind, "verification_kind")
    verification = (verification or "").strip()
    if not verification:
        raise ServiceError(
            "describe the verification: which test, which rule, which rehearsal", field="verification"
        )
    action.status, action.done_at = ActionStatus.DONE, clock.now()
    action.verification_kind, action.verification = verification_kind, verification
    action.save(update_fields=["status", "done_at", "verification_kind", "verification"])
    events.action_changed(action=action, change="done", by=by, via=via)
    return action


def remind() -> int:
    """The periodic job: due soon tells the owner once; overdue tells the owner and their lead once."""
    now, told = clock.now(), 0
    pending = CorrectiveAction.objects.filter(status__in=[ActionStatus.OPEN, ActionStatus.REOPENED])
    for action in pending.filter(
        due_at__lte=now + REMIND_BEFORE, due_at__gt=now, reminded_at=None
    ).select_related("owner", "postmortem__incident"):
        with transaction.atomic():
            _todo(action, ACTION_DUE, action.owner, f"Due {action.due_at:%d %b}: {action.description}")
            CorrectiveAction.objects.filter(pk=action.pk).update(reminded_at=now)
        told += 1
    for action in pending.filter(due_at__lte=now, overdue_raised_at=None).select_related(
        "owner", "postmortem__incident"
    ):
        with transaction.atomic():
            for person in [action.owner, *leads_of(action.owner)]:
                _todo(
                    action,
                    ACTION_OVERDUE,
                    person,
                    f"Overdue since {action.due_at:%d %b}: {action.description}",
                )
            CorrectiveAction.objects.filter(pk=action.pk).update(overdue_raised_at=now)
        told += 1
    return told


def _todo(action: CorrectiveAction, kind: str, person: Agent, title: str, detail: str = "") -> None:
    incident = action.postmortem.incident
    raise_todo(
        kind=kind,
        title=f"{incident.ref} {action.get_kind_display()}: {title}"[:255],
        detail=detail
        or f"Corrective action of the postmortem of {incident.ref} ({incident.title}). Close it with what "
        "shows the fix works.",
        assignee=person,
        due_at=action.due_at,
        evidence={"action_id": action.pk, "incident_id": incident.pk},
        via="postmortem",
    )


def send_customer_summary(postmortem: Postmortem, *, body: str, by, via: str = "web") -> int:
    """To the affected customers only, each with their own timeline; sent by a worker. Returns how many."""
    require(by, Capability.RUN_INCIDENTS)
    body = (body or "").strip()
    if not body:
        raise ServiceError("write the summary customers will read", field="body")
    with transaction.atomic():
        postmortem = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        if postmortem.summary_sent_at is not None:
            raise Conflict("the summary was already sent", field="summary")
        postmortem.summary_sent_at = clock.now()
        postmortem.save(update_fields=["summary_sent_at"])
        events.summary_sent(postmortem=postmortem, body=body, by=by, via=via)
        count = postmortem.incident.affected.count()
        later("frontline.incidents.tasks.deliver_summary", postmortem.pk, body)
    return count


def deliver_summary(postmortem_id: int, body: str) -> int:
    postmortem = Postmortem.objects.select_related("incident").get(pk=postmortem_id)
    incident = postmortem.incident
    timelines = customer_timelines(incident)
    sent = 0
    for affected in incident.affected.select_related("customer").order_by("customer_id"):
        title, text = texts.render_message(
            "incidents/summary",
            incident=incident,
            postmortem=postmortem,
            body=body,
            timeline=timelines.get(affected.customer_id, []),
        )
        notifications.notify(
            affected.customer,
            subject_kind=SubjectKind.INCIDENT,
            subject_id=f"{incident.pk}/summary",  # not a notice about the incident: the ledger ignores it
            title=title[:200],
            body=text,
            urgency=Urgency.ROUTINE,
            via="postmortem",
        )
        sent += 1
    return sent


def customer_timelines(incident: Incident) -> dict[int, list[tuple[object, str]]]:
    """Per affected customer: first contact, our first notice that reached them, fixed, confirmed."""
    lines: dict[int, list] = {
        c: [(at, "you first told us")] for c, at in ledger.first_contacts(incident).items()
    }
    for line in ledger.ledger(incident).lines:
        if line.told_at:
            lines.setdefault(line.customer_id, []).append((line.told_at, "we told you"))
    if incident.resolved_at:
        for customer_id in incident.affected.values_list("customer_id", flat=True):
            lines.setdefault(customer_id, []).append((incident.resolved_at, "fixed"))
    confirmed = Event.objects.filter(
        kind=case_events.FIX_CONFIRMED,
        case__in=IncidentCase.objects.filter(incident=incident).values("case_id"),
        data__answer="yes",
    ).values_list("customer_id", "at")
    for customer_id, at in confirmed:
        lines.setdefault(customer_id, []).append((at, "you confirmed it works"))
    return {c: sorted(entry, key=lambda item: item[0]) for c, entry in lines.items()}
