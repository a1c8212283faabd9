"""Incidents, their updates, ledger and links, and planned maintenance over JSON."""

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases.lookup import access_case
from frontline.core.api import BodyId, Id, In, Limit, Moment, get_or_404
from frontline.core.errors import ServiceError
from frontline.customers.models import ServiceUnit
from frontline.incidents import services
from frontline.incidents.models import (
    ActionKind,
    ActionPriority,
    CauseClass,
    CorrectiveAction,
    Impact,
    Incident,
    IncidentState,
    Maintenance,
    MaintenanceImpact,
    MaintenanceStatus,
    Postmortem,
    Subscription,
    VerificationKind,
)
from frontline.monitoring.models import Component

router = Router(tags=["incidents"])


def _components(names: list[str]) -> list[Component]:
    found = list(Component.objects.filter(name__in=names))
    missing = sorted(set(names) - {c.name for c in found})
    if missing:
        raise ServiceError(f"no component {', '.join(missing[:10])}", field="components")
    return found


def _units(ids: list[int]) -> list[ServiceUnit]:
    found = list(ServiceUnit.objects.filter(pk__in=ids))
    if len(found) < len(set(ids)):
        raise ServiceError("some of the units given do not exist", field="units")
    return found


class IncidentIn(In):
    title: str = Field(max_length=200)
    impact: Impact = Impact.DOWN
    components: list[str] = Field([], max_length=1000, description="Names of our components it affects")
    units: list[BodyId] = Field([], max_length=10_000, description="Customers' units it affects directly")
    body: str = Field("", max_length=20_000, description="A first update for every affected customer")
    public: bool = True


class UpdateIn(In):
    state: IncidentState
    body: str = Field(max_length=20_000)


class UpdateOut(Schema):
    id: int
    state: str
    body: str
    posted_at: datetime
    posted_by: str
    notices: int


class IncidentOut(Schema):
    id: int
    ref: str
    title: str
    state: str
    impact: str
    started_at: datetime
    resolved_at: datetime | None
    public: bool
    components: list[str]
    customers: int
    units: int
    told: int
    acknowledged: int
    cases: list[str]
    updates: list[UpdateOut]


def _incident(incident: Incident) -> dict:
    ledger = services.ledger(incident)
    return {
        "id": incident.pk,
        "ref": incident.ref,
        "title": incident.title,
        "state": incident.state,
        "impact": incident.impact,
        "started_at": incident.started_at,
        "resolved_at": incident.resolved_at,
        "public": incident.public,
        "components": [c.name for c in incident.components.all()],
        "customers": len(ledger.lines),
        "units": incident.affected_units,
        "told": ledger.told,
        "acknowledged": ledger.count("acknowledged"),
        "cases": [link.case.ref for link in incident.case_links.select_related("case")],
        "updates": [
            {
                "id": u.pk,
                "state": u.state,
                "body": u.body,
                "posted_at": u.posted_at,
                "posted_by": u.posted_by_label,
                "notices": u.notices,
            }
            for u in incident.updates.all()
        ],
    }


@router.get(
    "/incidents", response=list[IncidentOut], summary="Open incidents first, then the latest resolved"
)
def list_incidents(request, limit: Limit = 20):
    incidents = Incident.objects.order_by("resolved_at", "-started_at")[:limit]
    return [_incident(i) for i in incidents]


@router.post(
    "/incidents", response={201: IncidentOut}, summary="Open an incident: who it reaches is computed"
)
def create_incident(request, payload: IncidentIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    incident = services.open_incident(
        title=payload.title,
        impact=payload.impact,
        components=_components(payload.components),
        units=_units(payload.units),
        body=payload.body,
        public=payload.public,
        by=request.agent,
        via="api",
    )
    return Status(201, _incident(incident))


@router.get("/incidents/{incident_id}", response=IncidentOut)
def get_incident(request, incident_id: Id):
    return _incident(get_or_404(Incident.objects, pk=incident_id))


@router.post(
    "/incidents/{incident_id}/updates",
    response={201: UpdateOut},
    summary="Post an update: it goes to every affected customer through their ladders",
)
def create_update(request, incident_id: Id, payload: UpdateIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    incident = get_or_404(Incident.objects, pk=incident_id)
    u = services.post_update(incident, state=payload.state, body=payload.body, by=request.agent, via="api")
    return Status(
        201,
        {
            "id": u.pk,
            "state": u.state,
            "body": u.body,
            "posted_at": u.posted_at,
            "posted_by": u.posted_by_label,
            "notices": u.notices,
        },
    )


class LinkIn(In):
    case: str = Field(max_length=40, description="The case's reference, C-123")


@router.post(
    "/incidents/{incident_id}/cases", response={201: IncidentOut}, summary="Link a case to the incident"
)
def link_case(request, incident_id: Id, payload: LinkIn):
    incident = get_or_404(Incident.objects, pk=incident_id)
    services.link_case(incident, access_case(request.agent, payload.case), by=request.agent, via="api")
    return Status(201, _incident(incident))


class LedgerLineOut(Schema):
    customer_id: int
    name: str
    state: str
    notices: int
    attempts: int
    acknowledged_at: datetime | None
    acknowledged_via: str
    next_channel: str
    last: str
    via_person: list[str]


@router.get(
    "/incidents/{incident_id}/ledger",
    response=list[LedgerLineOut],
    summary="Every affected customer: what we told them and how far it got",
)
def incident_ledger(request, incident_id: Id):
    incident = get_or_404(Incident.objects, pk=incident_id)
    return [
        {
            "customer_id": line.customer_id,
            "name": line.name,
            "state": line.state,
            "notices": line.notices,
            "attempts": line.sent,
            "acknowledged_at": line.acknowledged_at,
            "acknowledged_via": line.acknowledged_via,
            "next_channel": line.next_channel,
            "last": line.last,
            "via_person": line.via_person,
        }
        for line in services.ledger(incident).lines
    ]


class MaintenanceIn(In):
    title: str = Field(max_length=200)
    body: str = Field(max_length=20_000)
    impact: MaintenanceImpact
    starts_at: Moment
    ends_at: Moment
    components: list[str] = Field([], max_length=1000)
    units: list[BodyId] = Field([], max_length=10_000)
    public: bool = True


class MaintenanceChange(In):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=20_000)
    impact: MaintenanceImpact | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    status: MaintenanceStatus | None = Field(None, description="CANCELLED to call it off")


class MaintenanceOut(Schema):
    id: int
    ref: str
    uid: str
    sequence: int
    title: str
    body: str
    impact: str
    status: str
    starts_at: datetime
    ends_at: datetime
    components: list[str]
    customers: int
    upstream_provider: str
    upstream_id: str


def _maintenance(m: Maintenance) -> dict:
    return {
        k: getattr(m, k)
        for k in (
            "ref",
            "uid",
            "sequence",
            "title",
            "body",
            "impact",
            "status",
            "starts_at",
            "ends_at",
            "upstream_provider",
            "upstream_id",
        )
    } | {
        "id": m.pk,
        "components": [c.name for c in m.components.all()],
        "customers": m.reach.count(),
    }


@router.get("/maintenance", response=list[MaintenanceOut], summary="Planned maintenance, soonest first")
def list_maintenance(request, limit: Limit = 50):
    return [_maintenance(m) for m in Maintenance.objects.order_by("-starts_at")[:limit]]


@router.post(
    "/maintenance",
    response={201: MaintenanceOut},
    summary="Announce planned work to exactly the customers it reaches, with a MAINTNOTE calendar entry",
)
def create_maintenance(request, payload: MaintenanceIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    m = services.schedule_maintenance(
        title=payload.title,
        body=payload.body,
        impact=payload.impact,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        components=_components(payload.components),
        units=_units(payload.units),
        public=payload.public,
        by=request.agent,
        via="api",
    )
    return Status(201, _maintenance(m))


@router.patch(
    "/maintenance/{maintenance_id}",
    response=MaintenanceOut,
    summary="Change or cancel it: the same UID, the next SEQUENCE, everyone told again",
)
def change_maintenance(request, maintenance_id: Id, payload: MaintenanceChange):
    require(request.agent, Capability.RUN_INCIDENTS)
    m = get_or_404(Maintenance.objects, pk=maintenance_id)
    return _maintenance(services.change_maintenance(m, by=request.agent, via="api", **payload.dict()))


class SubscriptionsOut(Schema):
    confirmed: int
    waiting: int
    unsubscribed: int


@router.get("/status/subscriptions", response=SubscriptionsOut, summary="How many follow the status page")
def subscription_counts(request):
    return {
        "confirmed": Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at=None).count(),
        "waiting": Subscription.objects.filter(confirmed_at=None, unsubscribed_at=None).count(),
        "unsubscribed": Subscription.objects.exclude(unsubscribed_at=None).count(),
    }


# ---------------------------------------------------------------- evidence, postmortems, repeats


class EntryOut(Schema):
    at: datetime
    kind: str = Field(description="alert, state, change, case or update")
    text: str
    detail: str


class KeyMessageOut(Schema):
    case: str
    customer: str
    at: datetime
    why: str = Field(description="first from this customer, or describes a symptom")
    excerpt: str


class EvidenceOut(Schema):
    incident: str
    repeat_of: str | None
    repeat_reason: str
    customers: int
    units: int
    cases: int
    told_before_contact: int
    contacted_first: int
    timeline: list[EntryOut]
    key_messages: list[KeyMessageOut]


@router.get(
    "/incidents/{incident_id}/evidence",
    response=EvidenceOut,
    summary="What we hold: alerts, state changes, recorded changes, cases and what we said, in time order",
)
def incident_evidence(request, incident_id: Id):
    incident = get_or_404(Incident.objects.select_related("repeat_of"), pk=incident_id)
    found = services.assemble_evidence(incident)
    early = services.earliness(incident)
    return {
        "incident": incident.ref,
        "repeat_of": incident.repeat_of.ref if incident.repeat_of_id else None,
        "repeat_reason": incident.repeat_reason,
        "customers": found.customers,
        "units": found.units,
        "cases": found.cases,
        "told_before_contact": early.told_first,
        "contacted_first": early.contacted_first,
        "timeline": [vars(entry) for entry in found.timeline],
        "key_messages": [
            {
                "case": m.case.ref,
                "customer": m.case.customer.name,
                "at": m.created_at,
                "why": why,
                "excerpt": (m.body_text or "")[:500],
            }
            for m, why in found.key_messages
        ],
    }


@router.delete(
    "/incidents/{incident_id}/cases/{case_ref}",
    response={204: None},
    summary="Detach a wrongly linked case (a label the grouping rules are measured against)",
)
def detach_case(request, incident_id: Id, case_ref: str):
    incident = get_or_404(Incident.objects, pk=incident_id)
    services.detach_case(incident, access_case(request.agent, case_ref), by=request.agent, via="api")
    return Status(204, None)


class PostmortemIn(In):
    root_cause: str = Field(max_length=20_000)
    cause_class: CauseClass


class ActionOut(Schema):
    id: int
    kind: str
    description: str
    owner: str
    priority: str
    due_at: datetime
    status: str
    done_at: datetime | None
    verification_kind: str
    verification: str
    reopened_reason: str


class PostmortemOut(Schema):
    incident: str
    root_cause: str
    cause_class: str
    customers: int
    units: int
    customer_minutes_lost: int
    summary_sent_at: datetime | None
    actions: list[ActionOut]


def _action(a: CorrectiveAction) -> dict:
    keys = ("kind", "description", "priority", "due_at", "status", "done_at", "verification_kind")
    return {k: getattr(a, k) for k in (*keys, "verification", "reopened_reason")} | {
        "id": a.pk,
        "owner": str(a.owner),
    }


def _postmortem(p: Postmortem) -> dict:
    keys = ("root_cause", "cause_class", "customers", "units", "customer_minutes_lost", "summary_sent_at")
    return {k: getattr(p, k) for k in keys} | {
        "incident": p.incident.ref,
        "actions": [_action(a) for a in p.actions.select_related("owner").order_by("due_at")],
    }


@router.get("/incidents/{incident_id}/postmortem", response=PostmortemOut)
def get_postmortem(request, incident_id: Id):
    return _postmortem(get_or_404(Postmortem.objects.select_related("incident"), incident_id=incident_id))


@router.put(
    "/incidents/{incident_id}/postmortem",
    response=PostmortemOut,
    summary="Write the postmortem of a resolved incident; its impact is computed from the state history",
)
def put_postmortem(request, incident_id: Id, payload: PostmortemIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    incident = get_or_404(Incident.objects, pk=incident_id)
    return _postmortem(services.write_postmortem(incident, by=request.agent, via="api", **payload.dict()))


class ActionIn(In):
    kind: ActionKind
    description: str = Field(max_length=2000)
    owner_id: BodyId
    priority: ActionPriority = Field(description="urgent: 7 days, high: 30, normal: 90")


@router.post("/incidents/{incident_id}/postmortem/actions", response={201: ActionOut})
def add_action(request, incident_id: Id, payload: ActionIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    postmortem = get_or_404(Postmortem.objects, incident_id=incident_id)
    owner = get_or_404(Agent.objects, pk=payload.owner_id)
    action = services.add_action(
        postmortem,
        kind=payload.kind,
        description=payload.description,
        owner=owner,
        priority=payload.priority,
        by=request.agent,
        via="api",
    )
    return Status(201, _action(action))


class DoneIn(In):
    verification_kind: VerificationKind
    verification: str = Field(max_length=2000, description="Which test, alert rule, rehearsal or link")


@router.post(
    "/incidents/actions/{action_id}/done",
    response=ActionOut,
    summary="Close a corrective action with what shows the fix works",
)
def action_done(request, action_id: Id, payload: DoneIn):
    action = get_or_404(CorrectiveAction.objects.select_related("owner"), pk=action_id)
    return _action(services.complete_action(action, by=request.agent, via="api", **payload.dict()))


class SummaryIn(In):
    body: str = Field(max_length=20_000)


class SummarySentOut(Schema):
    customers: int


@router.post(
    "/incidents/{incident_id}/postmortem/summary",
    response={202: SummarySentOut},
    summary="Send the customer-facing summary to the affected customers only, each with their own timeline",
)
def send_summary(request, incident_id: Id, payload: SummaryIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    postmortem = get_or_404(Postmortem.objects, incident_id=incident_id)
    count = services.send_customer_summary(postmortem, body=payload.body, by=request.agent, via="api")
    return Status(202, {"customers": count})
