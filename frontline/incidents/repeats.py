"""Repeat detection: an incident like one in the past year (the same components, the same alert
fingerprints, the same customers' units, or, once its postmortem says so, the same cause on the same
customers) is flagged as a repeat and linked to the earlier one's postmortem. The earlier corrective
actions answer for it: one marked done reopens as "fix ineffective or not deployed", with the new incident
as evidence; one never done is raised to its owner and their lead.
"""

from datetime import timedelta

from django.db.models import Q

from frontline.agents.services import leads_of
from frontline.incidents import events
from frontline.incidents.models import ActionStatus, Affected, CorrectiveAction, Incident, Postmortem
from frontline.todos.models import TODO_KINDS
from frontline.todos.services import raise_todo

LOOK_BACK = timedelta(days=365)
CUSTOMER_LOOK_BACK = timedelta(days=90)
REPEAT_NOT_DONE = TODO_KINDS.declare("repeat_action", "A fault came back: its corrective action")
_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}


def ordinal(n: int) -> str:
    return _ORDINALS.get(n, f"{n}th")


def matches(incident: Incident) -> list[tuple[Incident, str]]:
    """The earlier incidents of the past year this one repeats, newest first, each with what they share."""
    since = incident.started_at - LOOK_BACK
    earlier = Incident.objects.filter(started_at__gte=since, started_at__lt=incident.started_at).exclude(
        pk=incident.pk
    )
    found: dict[int, tuple[Incident, str]] = {}
    components = {c.pk: c for c in incident.components.all()}
    for other in earlier.filter(components__in=list(components)).distinct().prefetch_related("components"):
        shared = [c for c in other.components.all() if c.pk in components]
        found[other.pk] = (other, f"the same {shared[0].get_kind_display().lower()} {shared[0].name}")
    fingerprints = list(incident.alerts.values_list("fingerprint", flat=True))
    if fingerprints:
        for other in earlier.filter(alerts__fingerprint__in=fingerprints).exclude(pk__in=found).distinct():
            found[other.pk] = (other, "the same alert")
    units = set(incident.affected_unit_ids())
    customers = list(incident.affected.values_list("customer_id", flat=True)[:2000])
    candidates = Affected.objects.filter(
        incident__in=earlier.exclude(pk__in=found), customer_id__in=customers
    )
    for affected in candidates.select_related("incident"):
        if units & set(affected.unit_ids):
            found.setdefault(affected.incident_id, (affected.incident, "the same customers' services"))
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is not None and postmortem.cause_class != "unknown":
        same_cause = earlier.filter(
            postmortem__cause_class=postmortem.cause_class, affected__customer_id__in=customers
        )
        for other in same_cause.exclude(pk__in=found).distinct():
            found[other.pk] = (other, f"the same cause ({postmortem.get_cause_class_display().lower()})")
    return sorted(found.values(), key=lambda pair: pair[0].started_at, reverse=True)


def check(incident: Incident) -> Incident | None:
    """Flag the incident if it repeats an earlier one (once), and make the earlier actions answer for it."""
    if incident.repeat_of_id is not None:
        return incident.repeat_of
    found = matches(incident)
    if not found:
        return None
    earlier, shared = found[0]
    times = len(found) + 1
    incident.repeat_of = earlier
    incident.repeat_reason = (
        f"the {ordinal(times)} time this year: {shared} as {earlier.ref} ({earlier.started_at:%d %B})"
    )[:300]
    incident.save(update_fields=["repeat_of", "repeat_reason"])
    events.repeat_found(incident=incident, earlier=earlier, reason=incident.repeat_reason, times=times)
    _answer_for(incident, earlier)
    return earlier


def _answer_for(incident: Incident, earlier: Incident) -> None:
    actions = CorrectiveAction.objects.filter(postmortem__incident=earlier).select_related("owner")
    for action in actions:
        if action.status == ActionStatus.DONE:
            action.status, action.reopened_by = ActionStatus.REOPENED, incident
            action.reopened_reason = "fix ineffective or not deployed"
            action.save(update_fields=["status", "reopened_by", "reopened_reason"])
            events.action_changed(
                action=action, change="reopened", by=None, via="incidents", reason=action.reopened_reason
            )
            people = [action.owner]
            what = f"came back as {incident.ref} after it was marked done: fix ineffective or not deployed"
        elif action.status in (ActionStatus.OPEN, ActionStatus.REOPENED):
            people = [action.owner, *leads_of(action.owner)]
            what = f"was never done, and the fault came back as {incident.ref}"
        else:
            continue
        for person in people:
            raise_todo(
                kind=REPEAT_NOT_DONE,
                title=f"{earlier.ref} {action.get_kind_display()} {what}"[:255],
                detail=f"{action.description}\n\n{incident.ref} ({incident.title}) is "
                f"{incident.repeat_reason}.",
                assignee=person,
                evidence={"action_id": action.pk, "incident_id": incident.pk, "earlier_id": earlier.pk},
                via="incidents",
            )


def times_for_customers(incident: Incident, customer_ids=None) -> dict[int, int]:
    """How many incidents in the 90 days up to this one reached each of its customers (this one counted)."""
    customer_ids = list(customer_ids or incident.affected.values_list("customer_id", flat=True)[:5000])
    since = incident.started_at - CUSTOMER_LOOK_BACK
    counts: dict[int, int] = {}
    rows = Affected.objects.filter(
        Q(incident__started_at__gte=since, incident__started_at__lte=incident.started_at)
        | Q(incident=incident),
        customer_id__in=customer_ids,
    ).values_list("customer_id", flat=True)
    for customer_id in rows:
        counts[customer_id] = counts.get(customer_id, 0) + 1
    return counts
