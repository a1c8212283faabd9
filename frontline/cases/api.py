"""Cases over JSON: the inbox list, one case with its explained priority, and an agent's reply.

`POST /api/v1/messages` is reserved for channel intake (messages from customers), which comes with
the intake pipeline; an agent's reply on a case is `POST /api/v1/cases/{ref}/messages`.
"""

import datetime
from functools import partial

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Agent, Skill
from frontline.cases import clocks, priority, services
from frontline.cases.inbox import InboxFilter, inbox_page
from frontline.cases.lookup import access_case
from frontline.cases.models import Case, Message
from frontline.core.api import Id, In, Limit, Moment, PageOut, get_or_404
from frontline.core.pagination import keyset_page
from frontline.customers.models import Customer, Person, ServiceUnit
from frontline.intake import public as intake_public
from frontline.routing import services as routing

router = Router(tags=["cases"])


class PriorityTerm(Schema):
    term: str
    points: float
    reason: str


class ClockOut(Schema):
    name: str
    state: str = Field(description="running, paused, met or breached")
    target_minutes: int
    elapsed_minutes: int
    started_at: str | None
    due_at: str | None
    note: str


class CaseOut(Schema):
    ref: str
    customer_id: int
    customer_name: str = Field(alias="customer.name")
    requester_id: int | None
    subject: str
    status: str
    is_open: bool
    impact: str
    demand_type: str
    topic: str | None = Field(None, alias="topic.slug")
    assignee_id: int | None
    priority: float
    priority_explanation: list[PriorityTerm]
    topic_confidence: float | None
    routing_explanation: dict
    failure_reason: str
    chaser_count: int
    problem_started_at: datetime.datetime
    created_at: datetime.datetime
    updated_at: datetime.datetime
    resolved_at: datetime.datetime | None
    resolution_notes: str
    reopen_count: int


class CaseUnitOut(Schema):
    id: int
    kind: str
    name: str
    state: str
    end_users: int


class CaseDetailOut(CaseOut):
    units: list[CaseUnitOut] = Field(description="The service units the case is about")
    clocks: list[ClockOut]
    similar_cases: list[dict] = Field(description="Resolved cases most like this one, with their resolution")


class PriorityOverrideIn(In):
    points: float = Field(ge=-500, le=500, description="Points added to the score (negative to lower it)")
    hours: float = Field(gt=0, le=24 * 14, description="How long the override counts")
    reason: str = Field(min_length=1, max_length=255)


class TopicIn(In):
    topic: str = Field(description="A skill slug (frontline eval-router --list-topics)")
    reroute: bool = Field(False, description="Give the case to someone with this skill")


class CaseIn(In):
    customer_id: int = Field(ge=1, le=2**62)
    subject: str = Field(min_length=1, max_length=255)
    body: str = Field(min_length=1, max_length=100_000)
    impact: str = "question"
    requester_id: int | None = Field(None, ge=1, le=2**62)
    unit_ids: list[int] = Field(default_factory=list, max_length=500)
    topic: str | None = None
    problem_started_at: Moment | None = None


class MessageOut(Schema):
    id: int
    channel: str
    direction: str
    author_agent_id: int | None
    author_person_id: int | None
    sender: str
    recipients: str
    subject: str
    body_text: str
    message_id: str
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    send_error: str


class ReplyIn(In):
    body: str = Field(min_length=1, max_length=100_000)
    internal: bool = Field(False, description="An internal note for staff instead of a reply to the customer")
    origin: str = Field(
        "",
        max_length=40,
        description="What the reply started from: saved:<id> (a saved reply) or case:C-<n> (a solved case)",
    )
    confirmed: bool = Field(
        False,
        description="Send a reply the checks held (409: e.g. asking a customer hit by our open incident "
        "to run diagnostics, while we hold its evidence)",
    )


class UnitsIn(In):
    unit_ids: list[int] = Field(min_length=1, max_length=500, description="The customer's service units")
    reason: str = Field("", max_length=255, description="Why the case is about them (shown on its timeline)")


class AssignIn(In):
    assignee_id: int | None = Field(None, ge=1, le=2**62, description="null to leave the case unassigned")


class StatusIn(In):
    status: str
    resolution_notes: str = Field("", max_length=100_000)


def _case(request, ref: str) -> Case:
    return access_case(request.agent, ref)


@router.get("/cases", response=PageOut[CaseOut], summary="Open cases, most urgent first, with filters")
def list_cases(
    request,
    who: str = "",
    status: str = "",
    topic: str = "",
    q: str = "",
    after: str | None = None,
    limit: Limit = 50,
):
    flt = InboxFilter(
        mine=who == "mine",
        unassigned=who == "unassigned",
        triage=who == "triage",
        status=status,
        topic=topic,
        query=q[:200],
    )
    page = inbox_page(flt, agent=request.agent, after=after, size=limit)
    return {"items": page.items, "next": page.next_cursor}


@router.post("/cases", response={201: CaseOut}, summary="Open a case on a customer's behalf")
def open_case(request, payload: CaseIn):
    customer = get_or_404(Customer.objects, pk=payload.customer_id)
    requester = get_or_404(Person.objects, pk=payload.requester_id) if payload.requester_id else None
    units = list(ServiceUnit.objects.filter(pk__in=payload.unit_ids))
    if len(units) != len(set(payload.unit_ids)):
        raise Http404("no such service unit")
    topic = get_or_404(Skill.objects, slug=payload.topic) if payload.topic else None
    case = services.open_case(
        customer=customer,
        subject=payload.subject,
        body=payload.body,
        channel="api",
        impact=payload.impact,
        requester=requester,
        units=units,
        topic=topic,
        problem_started_at=payload.problem_started_at,
        by=request.agent,
        via="api",
        triage=partial(routing.triage_unwritten, via="api"),
    )
    return Status(201, case)


@router.get("/cases/{ref}", response=CaseDetailOut, summary="One case with its score, clocks and routing")
def get_case(request, ref: str):

    case = _case(request, ref)
    case.priority, case.priority_explanation = priority.compute_for(case)  # exact now, as the page shows
    case.clocks = [c.as_dict() for c in clocks.case_clocks(case)]
    case.units = _units(case)
    case.similar_cases = [
        {
            "ref": s["case"].ref,
            "subject": s["case"].subject,
            "similarity": s["similarity"],
            "resolution": s["resolution"],
        }
        for s in routing.similar_cases(case)
    ]
    return case


@router.post(
    "/cases/{ref}/priority-override", response=CaseOut, summary="Adjust the score for a while, with a reason"
)
def override_priority(request, ref: str, payload: PriorityOverrideIn):
    services.override_priority(
        _case(request, ref),
        by=request.agent,
        points=payload.points,
        hours=payload.hours,
        reason=payload.reason,
        via="api",
    )
    return _case(request, ref)


@router.post(
    "/cases/{ref}/topic", response=CaseOut, summary="Say what the case is about (a label to learn from)"
)
def set_topic(request, ref: str, payload: TopicIn):

    topic = get_or_404(Skill.objects, slug=payload.topic)
    routing.set_topic(_case(request, ref), topic=topic, by=request.agent, reroute=payload.reroute, via="api")
    return _case(request, ref)


@router.get("/cases/{ref}/messages", response=list[MessageOut])
def list_messages(request, ref: str):
    return list(Message.objects.filter(case=_case(request, ref)).order_by("created_at", "pk"))


@router.post("/cases/{ref}/messages", response={201: MessageOut}, summary="An agent's reply or internal note")
def post_reply(request, ref: str, payload: ReplyIn):
    case = _case(request, ref)
    if payload.internal:
        return Status(201, services.add_internal_note(case, by=request.agent, body=payload.body, via="api"))
    return Status(
        201,
        services.reply_to_case(
            case,
            by=request.agent,
            body=payload.body,
            confirmed=payload.confirmed,
            via="api",
            origin=payload.origin,
        ),
    )


@router.post("/cases/{ref}/assign", response=CaseOut)
def assign(request, ref: str, payload: AssignIn):
    case = _case(request, ref)
    assignee = get_or_404(Agent.objects, pk=payload.assignee_id) if payload.assignee_id else None
    services.assign_case(case, assignee=assignee, by=request.agent, via="api")
    return _case(request, ref)


@router.post("/cases/{ref}/status", response=CaseOut)
def change_status(request, ref: str, payload: StatusIn):
    case = _case(request, ref)
    services.change_status(
        case, status=payload.status, by=request.agent, resolution_notes=payload.resolution_notes, via="api"
    )
    return _case(request, ref)


def _units(case: Case) -> list[ServiceUnit]:
    return list(case.affected_units.order_by("name"))


@router.get("/cases/{ref}/units", response=list[CaseUnitOut], summary="The service units a case is about")
def list_units(request, ref: str):
    return _units(_case(request, ref))


@router.post(
    "/cases/{ref}/units", response=list[CaseUnitOut], summary="Say the case is about these units too"
)
def attach_units(request, ref: str, payload: UnitsIn):
    case = _case(request, ref)
    units = list(ServiceUnit.objects.filter(pk__in=[i for i in payload.unit_ids if 0 < i < 2**62]))
    if len(units) != len(set(payload.unit_ids)):
        raise Http404("no such service unit")
    services.attach_units(case, units, by=request.agent, reason=payload.reason, via="api")
    return _units(case)


@router.delete(
    "/cases/{ref}/units/{int:unit_id}",
    response=list[CaseUnitOut],
    summary="Say the case is not about this unit (its words named it in passing)",
)
def detach_unit(request, ref: str, unit_id: int):
    case = _case(request, ref)
    unit = get_or_404(ServiceUnit.objects, pk=unit_id)
    services.detach_unit(case, unit, by=request.agent, via="api")
    return _units(case)


class TimelineOut(Schema):
    at: datetime.datetime
    kind: str
    label: str
    who: str
    via: str
    data: dict


class CallIn(In):
    direction: str = Field(
        pattern="^(in|out)$", description="in: the customer called us; out: we called them"
    )
    number: str = Field("", max_length=40)
    minutes: float = Field(0, ge=0, le=24 * 60)
    summary: str = Field(min_length=1, max_length=20_000, description="What was said")
    reached: bool = Field(True, description="For our call: did we reach them?")


@router.get("/cases/{ref}/timeline", response=list[TimelineOut], summary="A case's history, oldest first")
def timeline(request, ref: str, limit: Limit = 200):
    case = _case(request, ref)
    found = case.events.select_related("actor").order_by("at", "pk")[:limit]
    return [
        {"at": e.at, "kind": e.kind, "label": e.label, "who": e.who, "via": e.via, "data": e.data}
        for e in found
    ]


@router.post("/cases/{ref}/calls", response={201: MessageOut}, summary="Log a phone call, either way")
def log_call(request, ref: str, payload: CallIn):
    case = _case(request, ref)
    seconds = int(payload.minutes * 60)
    if payload.direction == "out":
        message = services.log_outbound_call(
            case,
            by=request.agent,
            number=payload.number,
            summary=payload.summary,
            duration_seconds=seconds,
            reached=payload.reached,
        )
        return Status(201, message)
    row = intake_public.log_phone_call(
        by=request.agent,
        customer=case.customer,
        caller=payload.number,
        summary=payload.summary,
        duration_seconds=seconds,
        case=case,
    )
    return Status(201, row.message)


@router.get(
    "/customers/{customer_id}/cases", response=PageOut[CaseOut], summary="A customer's cases, newest first"
)
def customer_cases(request, customer_id: Id, after: str | None = None, limit: Limit = 50):
    customer = get_or_404(Customer.objects, pk=customer_id)
    page = keyset_page(
        Case.objects.filter(customer=customer).select_related("customer", "topic"),
        order=("-created_at", "-pk"),
        after=after,
        size=limit,
    )
    return {"items": page.items, "next": page.next_cursor}
