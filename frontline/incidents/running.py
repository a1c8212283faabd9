"""Running an incident: opened (by a person, or by monitoring when a component of ours goes bad), its
affected customers computed from the tree, updates that go to every one of them through their ladders,
cases linked, and its resolution, which resolves the linked cases and asks each customer to confirm.
"""

from django.conf import settings
from django.db import transaction

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases import confirmation
from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock, rows, texts
from frontline.core.errors import Conflict, ServiceError, require_choice
from frontline.incidents import events, repeats, statuspage
from frontline.incidents.models import Affected, Impact, Incident, IncidentCase, IncidentState, IncidentUpdate
from frontline.monitoring import services as monitoring
from frontline.notifications import services as notifications
from frontline.notifications.models import SubjectKind, Urgency
from frontline.scheduling.later import later
from frontline.todos.models import TODO_KINDS
from frontline.todos.services import raise_todo

TELL_CUSTOMERS = TODO_KINDS.declare("tell_incident", "Tell an incident's customers")  # a lead posts first


def _label(by, label: str) -> str:
    return str(by) if by else label


@transaction.atomic
def open_incident(
    *,
    title: str,
    components=(),
    units=(),
    customers=(),
    impact: str = Impact.DOWN,
    started_at=None,
    body: str = "",
    alerts=(),
    public: bool = True,
    by=None,
    label: str = "monitoring",
    via: str = "web",
) -> Incident:
    """Open it, compute who it reaches, and (with `body`) tell them at once. `customers`: accounts known to
    be affected though no unit of theirs is named (they told us, in similar words)."""
    if by is not None:
        require(by, Capability.RUN_INCIDENTS)
    title = (title or "").strip()
    if not title:
        raise ServiceError("an incident needs a title", field="title")
    require_choice(impact, Impact, "impact")
    components, units, customers = list(components), list(units), list(customers)
    if not components and not units and not customers:
        raise ServiceError("name the components or units it affects", field="components")
    now = clock.now()
    incident = Incident.objects.create(
        title=title[:200],
        impact=impact,
        started_at=min(started_at or now, now),
        created_at=now,
        created_by=by,
        opened_by_label=_label(by, label),
        public=public,
    )
    incident.components.set(components)
    incident.alerts.set(alerts)
    recompute_affected(incident, units=units)
    add_affected(incident, customers)
    events.incident_opened(incident=incident, by=by, label=label, via=via)
    repeats.check(incident)
    statuspage.forget()
    if body.strip():
        post_update(incident, state=IncidentState.INVESTIGATING, body=body, by=by, label=label, via=via)
    return incident


def recompute_affected(incident: Incident, *, units=()) -> int:
    """Who it reaches now: from its components down the tree, and the units named. Customers already told
    stay affected (they were told); new ones are added."""
    radius = monitoring.of(list(incident.components.all()), [u.pk for u in units])
    by_customer = radius.by_customer
    known = set(incident.affected.values_list("customer_id", flat=True))
    now = clock.now()
    Affected.objects.bulk_create(
        [
            Affected(incident=incident, customer_id=c, unit_ids=ids, added_at=now)
            for c, ids in by_customer.items()
            if c not in known
        ],
        batch_size=2000,
    )
    incident.affected_units = len(radius.unit_ids)
    incident.save(update_fields=["affected_units"])
    return len(by_customer)


def add_affected(incident: Incident, customer_ids) -> None:
    """Customers it reaches though no unit of theirs was found under it: they told us (a case joined)."""
    customer_ids = sorted(set(customer_ids))
    if len(customer_ids) == 1:  # a case joining: plain SQL, on intake's path
        where = "t0.incident_id = %s AND t0.customer_id = %s"
        if rows.find(Affected, where, [incident.pk, customer_ids[0]]) is None:
            rows.insert(
                Affected(incident=incident, customer_id=customer_ids[0], unit_ids=[], added_at=clock.now())
            )
        return
    known = set(incident.affected.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True))
    now = clock.now()
    Affected.objects.bulk_create(
        [
            Affected(incident=incident, customer_id=c, unit_ids=[], added_at=now)
            for c in customer_ids
            if c not in known
        ]
    )


def post_update(incident: Incident, *, state: str, body: str, by=None, label: str = "", via: str = "web"):
    """Say where we are, to every affected customer through their ladders (one notice per person)."""
    if by is not None:
        require(by, Capability.RUN_INCIDENTS)
    require_choice(state, IncidentState, "state")
    body = (body or "").strip()
    if not body:
        raise ServiceError("say what is happening", field="body")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise Conflict("this incident is resolved: open a new one if it came back", field="state")
        now = clock.now()
        update = IncidentUpdate.objects.create(
            incident=incident,
            state=state,
            body=body,
            posted_at=now,
            posted_by=by,
            posted_by_label=_label(by, label),
        )
        incident.state = state
        if state == IncidentState.RESOLVED:
            incident.resolved_at = now
        incident.save(update_fields=["state", "resolved_at"])
        customer_ids = list(incident.affected.order_by("customer_id").values_list("customer_id", flat=True))
        if customer_ids:
            title, text = texts.render_message(
                "incidents/update", incident=incident, update=update, state=IncidentState(state).label
            )
            fanout = notifications.fan_out_to(
                notifications.recipients(customer_ids),
                subject_kind=SubjectKind.INCIDENT,
                subject_id=incident.pk,
                title=title[:200],
                body=text,
                urgency=Urgency.URGENT if state != IncidentState.RESOLVED else Urgency.ROUTINE,
                by=by,
                via=via,
            )
            update.fanout, update.notices = fanout, fanout.total
            update.save(update_fields=["fanout", "notices"])
        events.incident_updated(update=update, by=by, label=label, via=via)
        statuspage.forget()
        later("frontline.incidents.tasks.tell_followers", "update", update.pk)
        if state == IncidentState.RESOLVED:
            _resolve_linked_cases(incident, body)
    return update


def resolve(incident: Incident, *, body: str, by=None, label: str = "", via: str = "web") -> IncidentUpdate:
    return post_update(incident, state=IncidentState.RESOLVED, body=body, by=by, label=label, via=via)


def _resolve_linked_cases(incident: Incident, body: str) -> None:
    for link in IncidentCase.objects.filter(incident=incident).select_related("case__customer"):
        case = confirmation.resolve_on_evidence(
            link.case, notes=f"Resolved with {incident.ref}: {body}", actor_label=incident.ref, via="incident"
        )
        if case.status == "resolved":
            ask_to_confirm(case, why=f"{incident.title}: {body}")


def ask_to_confirm(case: Case, *, why: str) -> None:
    """Tell the customer it is fixed, and ask whether it works for them (a signed link; its page POSTs)."""
    title, text = texts.render_message(
        "incidents/confirm", case=case, why=why, link=confirmation.confirm_link(case)
    )
    notifications.notify(
        case.customer,
        subject_kind=SubjectKind.CASE,
        subject_id=case.pk,
        case=case,
        title=title[:200],
        body=text,
        urgency=Urgency.ROUTINE,
        via="incident",
    )


def link_case(
    incident: Incident,
    case: Case,
    *,
    by=None,
    label: str = "",
    why: str = "",
    via: str = "web",
    arriving: bool = False,
) -> IncidentCase:
    """The incident owns the link: the case's own app does not know about incidents. `why`: the words that
    explain a link nobody made by hand (the rule, the shared element). The case's customer becomes one
    the incident reaches, so its updates reach them too. `arriving`: the case is being opened in the
    caller's transaction (correlation on arrival), so it has no link yet and needs no savepoint of its
    own: three statements fewer on intake's path."""
    if by is not None:
        require(by, Capability.WORK_CASES)
    with transaction.atomic(savepoint=not arriving):
        if not arriving:
            case = cases.follow_merges(case)
        incident = rows.get(Incident, incident.pk, lock=True)  # its state now, not as read before
        if not incident.is_open:
            raise Conflict("nothing joins a resolved incident", field="incident")
        if not arriving:
            existing = IncidentCase.objects.filter(case=case).select_related("incident").first()
            if existing is not None:
                if existing.incident_id == incident.pk:
                    return existing
                raise Conflict(f"this case is already linked to {existing.incident.ref}", field="case")
        link = IncidentCase(incident=incident, case=case, linked_at=clock.now(), linked_by=by, why=why[:300])
        rows.insert(link)  # plain SQL: on intake's path when a case joins on arrival
        add_affected(incident, [case.customer_id])
        events.case_linked(incident=incident, case=case, by=by, label=label or "incident", why=why, via=via)
    return link


@transaction.atomic
def detach_case(incident: Incident, case: Case, *, by, reason: str = "", via: str = "web") -> None:
    """A wrong link undone in one click: the case goes on by itself. A person's detach is a label the
    grouping rules are measured against."""
    require(by, Capability.WORK_CASES)
    link = IncidentCase.objects.filter(incident=incident, case=case).first()
    if link is None:
        raise Conflict(f"{case.ref} is not linked to {incident.ref}", field="case")
    link.delete()
    events.case_detached(incident=incident, case=case, by=by, reason=reason, via=via)


def open_incident_for(customer_id: int) -> Incident | None:
    """The open incident reaching this customer, if any (the newest)."""
    return (
        Incident.objects.filter(state__in=IncidentState.open_values(), affected__customer_id=customer_id)
        .order_by("-started_at")
        .first()
    )


def incident_from_monitoring(component, *, health: str, alert, started_at) -> Incident:
    """One of our components went bad: the open incident about it (or above it) takes the alert, else a new
    incident opens and tells everyone it reaches at once, or, with FRONTLINE_INCIDENT_NOTICE=lead, waits for
    a team lead to post its first update (a to-do says so)."""
    covering = {c.pk for c in _ancestors(component)}
    incident = (
        Incident.objects.filter(state__in=IncidentState.open_values(), components__in=covering)
        .order_by("-started_at")
        .first()
    )
    if incident is not None:
        if alert is not None:
            incident.alerts.add(alert)
        if started_at < incident.started_at:  # opened by its customers' contacts; monitoring saw it begin
            incident.started_at = started_at
            incident.save(update_fields=["started_at"])
        return incident
    title, body = texts.render_message("incidents/detected", component=component, health=health, alert=alert)
    at_once = settings.FRONTLINE_INCIDENT_NOTICE != "lead"
    incident = open_incident(
        title=title,
        components=[component],
        impact=Impact.DOWN if health == "down" else Impact.DEGRADED,
        started_at=started_at,
        body=body if at_once else "",
        alerts=[alert] if alert is not None else [],
        label="monitoring",
        via="monitoring",
    )
    if not at_once:
        raise_todo(
            kind=TELL_CUSTOMERS,
            title=f"{incident.ref} {title}: tell the {incident.affected.count()} customers it reaches",
            detail="Monitoring opened this incident; nobody has been told yet. Post its first update on the "
            "incident page: it goes to every affected customer through their ladders.",
            evidence={"incident_id": incident.pk},
            via="monitoring",
        )
    return incident


def component_recovered(component) -> None:
    for incident in Incident.objects.filter(
        state__in=[IncidentState.INVESTIGATING, IncidentState.IDENTIFIED], components=component
    ):
        _, body = texts.render_message("incidents/recovering", component=component)
        post_update(incident, state=IncidentState.MONITORING, body=body, label="monitoring", via="monitoring")


def _ancestors(component) -> list:
    found, seen = [], set()
    while component is not None and component.pk not in seen:
        found.append(component)
        seen.add(component.pk)
        component = component.parent
    return found
