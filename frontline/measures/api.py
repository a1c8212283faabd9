"""The measures over JSON: the same figures and chart rows as the page, a customer's problems, a contact's
class corrected, and the demand rules."""

from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.lookup import access_case
from frontline.cases.models import Message
from frontline.core.api import Id, In, get_or_404
from frontline.customers.models import Customer
from frontline.measures import board, figures, services
from frontline.measures.models import DemandRule, FailureType, Problem

router = Router(tags=["measures"])

Measure = Literal["end_to_end", "contacts", "failure_share"]
By = Literal["", "topic", "team", "agent", "tier", "customer"]


class SliceQuery(Schema):
    by: By = Field("", description="Which problems: all (empty), or one topic, team, agent, tier or customer")
    value: str = Field(
        "", max_length=120, description="The topic's slug, tier, or the team's, agent's, customer's id"
    )
    weeks: int = Field(board.DEFAULT_WEEKS, ge=3, le=104, description="How many weeks back")


def _slice(query: SliceQuery) -> figures.Slice:
    if query.by and not query.value:
        raise Http404("say which one: value")
    return figures.Slice(query.by, query.value) if query.by else figures.Slice()


class WeekOut(Schema):
    week: str = Field(description="The Monday of the week")
    value: float
    count: int = Field(description="Problems (or contacts, for the failure share) the value is over")
    moving_range: float | None = None
    centre: float | None = None
    upper_limit: float | None = None
    lower_limit: float | None = None
    range_upper_limit: float | None = None
    baseline: bool = Field(False, description="One of the weeks the limits come from")
    signals: str = Field("", description="The detection rules this week shows, if any")


class ChartOut(Schema):
    measure: str
    title: str
    unit: str
    chart: str = Field(description="The chart's key: what a baseline and an improvement are about")
    centre: float | None = Field(description="Null with fewer than three weeks: no limits yet")
    upper_limit: float | None
    lower_limit: float | None = Field(description="Null where it would be below zero")
    range_upper_limit: float | None
    baseline_explanation: str
    weeks: list[WeekOut]


class SummaryOut(Schema):
    problems_finished: int
    unconfirmed: int = Field(description="Closed after our ask went unanswered: counted apart")
    still_open: int
    end_to_end_hours: dict[str, float] = Field(description="p50, p75, p90, p95")
    contacts_per_problem: float | None
    contacts: int
    failure_share: float | None = Field(description="Percent of the contacts")
    failure_by_type: dict[str, int]
    first_contact_resolution: float | None
    reopen_rate: float | None
    proactive_share: float | None


class MeasuresOut(Schema):
    slice: str
    since: str
    summary: SummaryOut
    charts: list[ChartOut]
    provider: dict | None = Field(
        description="Notices, incidents, overrides, saved replies: all customers only"
    )
    rules_agreement: dict


def chart_out(drawn: board.Drawn) -> dict:
    chart = drawn.chart
    return {
        "measure": drawn.measure,
        "title": drawn.title,
        "unit": drawn.unit,
        "chart": drawn.key,
        "centre": chart.centre if chart else None,
        "upper_limit": chart.upper if chart else None,
        "lower_limit": chart.lower if chart else None,
        "range_upper_limit": chart.range_upper if chart else None,
        "baseline_explanation": drawn.baseline.explanation if drawn.baseline else "",
        "weeks": drawn.rows,
    }


@router.get(
    "/measures",
    response=MeasuresOut,
    summary="Outcomes for customers: headline figures and the three weekly XmR charts",
)
def measures(request, query: Query[SliceQuery]):
    where = _slice(query)
    since = board.since_weeks(query.weeks)
    return {
        "slice": where.key,
        "since": since.isoformat(),
        "summary": figures.summary(where, since),
        "charts": [chart_out(drawn) for drawn in board.board(where, since)],
        "provider": figures.provider_figures(since) if not where.by else None,
        "rules_agreement": figures.rules_agreement(),
    }


@router.get(
    "/measures/charts/{measure}", response=ChartOut, summary="One weekly chart's rows: value, limits, signals"
)
def measure_chart(request, measure: Measure, query: Query[SliceQuery]):
    return chart_out(board.draw(measure, _slice(query), board.since_weeks(query.weeks)))


class ProblemOut(Schema):
    case: str
    subject: str
    topic: str | None
    started_at: str
    finished_at: str | None
    outcome: str
    minutes: float | None = Field(description="End to end, from the customer's clock start; null while open")
    contacts: int
    failure_contacts: int
    proactive: bool


@router.get("/customers/{customer_id}/problems", response=list[ProblemOut], summary="A customer's problems")
def customer_problems(request, customer_id: Id):
    customer = get_or_404(Customer.objects, pk=customer_id)
    rows = Problem.objects.filter(customer=customer).select_related("case", "topic").order_by("-started_at")
    return [
        {
            "case": p.case.ref,
            "subject": p.case.subject,
            "topic": p.topic.slug if p.topic_id else None,
            "started_at": p.started_at.isoformat(),
            "finished_at": p.finished_at.isoformat() if p.finished_at else None,
            "outcome": p.outcome,
            "minutes": p.minutes,
            "contacts": p.contacts,
            "failure_contacts": p.failure_contacts,
            "proactive": p.proactive,
        }
        for p in rows[:500]
    ]


class CorrectionIn(In):
    failure_type: Literal["value", *FailureType.values] = Field(description="value, or the failure")
    reason: str = Field("", max_length=300)


class DemandCorrectionOut(Schema):
    message_id: int
    failure_type: str = Field(description='"" for value demand')
    rules_said: str
    corrected: bool


@router.post(
    "/cases/{ref}/contacts/{message_id}/demand",
    response=DemandCorrectionOut,
    summary="Correct a contact's demand class",
)
def correct_contact(request, ref: str, message_id: Id, payload: CorrectionIn):
    case = access_case(request.agent, ref, related=())
    message = get_or_404(Message.objects, pk=message_id, case=case)
    contact = services.correct_contact(
        message, failure_type=payload.failure_type, reason=payload.reason, by=request.agent, via="api"
    )
    return {
        "message_id": contact.message_id,
        "failure_type": contact.failure_type,
        "rules_said": contact.rules_said,
        "corrected": contact.corrected,
    }


class DemandRuleIn(In):
    name: str = Field(min_length=1, max_length=100)
    condition: str = Field(
        min_length=1, max_length=4000, description="CEL over `contact` (see the measures page)"
    )
    failure_type: Literal[*FailureType.values]
    position: int = Field(100, ge=0, le=10_000)
    enabled: bool = True


class DemandRuleOut(Schema):
    id: int
    name: str
    condition: str
    failure_type: str
    position: int
    enabled: bool


def _rule(rule: DemandRule) -> dict:
    return {
        "id": rule.pk,
        "name": rule.name,
        "condition": rule.condition,
        "failure_type": rule.failure_type,
        "position": rule.position,
        "enabled": rule.enabled,
    }


@router.get(
    "/measures/rules", response=list[DemandRuleOut], summary="The demand rules, in the order they are tried"
)
def demand_rules(request):
    return [_rule(r) for r in DemandRule.objects.order_by("position", "pk")]


@router.post("/measures/rules", response={201: DemandRuleOut}, summary="Write a demand rule (team leads)")
def add_demand_rule(request, payload: DemandRuleIn):
    rule = services.save_rule(by=request.agent, via="api", **payload.dict())
    return Status(201, _rule(rule))


@router.put("/measures/rules/{rule_id}", response=DemandRuleOut, summary="Change a demand rule (team leads)")
def change_demand_rule(request, rule_id: Id, payload: DemandRuleIn):
    require(request.agent, Capability.ASSIGN_OTHERS)  # before the lookup: a stranger learns nothing
    rule = get_or_404(DemandRule.objects, pk=rule_id)
    return _rule(services.save_rule(by=request.agent, via="api", rule=rule, **payload.dict()))
