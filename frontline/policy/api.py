"""Policy over JSON: rules, events in (abuse reports, scans, billing), decisions, overrides, the report."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects
from ninja import Router, Schema, Status
from pydantic import Field

from frontline.cases.lookup import access_case
from frontline.core.api import Id, In, Moment, get_or_404
from frontline.core.errors import ServiceError
from frontline.customers.models import Customer, ServiceUnit
from frontline.policy import arf, reports, services
from frontline.policy.models import (
    ActionKind,
    Decision,
    EventSource,
    GoodwillKind,
    Override,
    OverrideKind,
    PolicyEvent,
    PolicyRule,
    Severity,
    Trigger,
)

router = Router(tags=["policy"])


# ---------------------------------------------------------------- rules


class RuleIn(In):
    name: str
    trigger: Trigger
    condition: str = Field(description="CEL over event, unit, customer and history; checked at save")
    action: ActionKind
    severity: Severity = Severity.STANDARD
    params: dict = {}
    grace_minutes: int | None = Field(None, ge=0, le=60 * 24 * 90)
    enabled: bool = True
    description: str = ""
    reason: str = Field("", description="Why it changed: kept with the version")


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    condition: str
    action: str
    severity: str
    params: dict
    grace_minutes: int | None
    enabled: bool
    version: int
    description: str


def _rule(rule: PolicyRule) -> dict:
    return {key: getattr(rule, key) for key in RuleOut.model_fields if key != "id"} | {"id": rule.pk}


@router.get("/policy/rules", response=list[RuleOut])
def list_rules(request):
    return [_rule(rule) for rule in PolicyRule.objects.order_by("name")]


@router.post("/policy/rules", response={201: RuleOut}, summary="Write a rule (policy admins)")
def create_rule(request, payload: RuleIn):
    return Status(201, _rule(services.save_rule(by=request.agent, via="api", **payload.dict())))


@router.put("/policy/rules/{rule_id}", response=RuleOut, summary="Change a rule: a new version")
def change_rule(request, rule_id: Id, payload: RuleIn):
    rule = get_or_404(PolicyRule.objects, pk=rule_id)
    return _rule(services.save_rule(rule=rule, by=request.agent, via="api", **payload.dict()))


# ---------------------------------------------------------------- events in


class EventOut(Schema):
    id: int
    trigger: str
    kind: str
    status: str
    problem: str
    unit_id: int | None
    customer_id: int | None
    decisions: list[int]


def _events(events: list[PolicyEvent]) -> list[dict]:
    prefetch_related_objects(events, "decisions")  # one read for a whole scan's decisions
    return [
        {
            "id": e.pk,
            "trigger": e.trigger,
            "kind": e.kind,
            "status": e.status,
            "problem": e.problem,
            "unit_id": e.unit_id,
            "customer_id": e.customer_id,
            "decisions": sorted(d.pk for d in e.decisions.all()),
        }
        for e in events
    ]


class UnitRef(In):
    unit_id: int | None = None
    ip: str | None = None
    name: str | None = Field(None, description="A site's domain, a line's label...")
    hostname: str | None = None


class EventIn(In):
    trigger: Trigger
    kind: str = ""
    facts: dict = Field({}, description="The trigger's fields, as declared (see the rule schema)")
    unit: UnitRef
    idempotency_key: str | None = None


class EventsIn(In):
    events: list[EventIn] = Field(..., min_length=1, max_length=1000)
    batch: str = Field("", description="Events of one report or scan: one notice and one case per customer")


def _as_reported(request, trigger: str, facts: dict) -> tuple[dict, str]:
    """The facts with `trusted_reporter` set by who sent them, never by what they say: true only through a
    token an admin marked as a trusted reporter. Also the words that name that token in the reasons."""
    token = getattr(request, "api_token", None)
    trusted_by = f"token '{token.name}' ({token.prefix}…)" if token and token.trusted_reporter else ""
    facts = {key: value for key, value in facts.items() if key != "trusted_reporter"}
    if trigger == Trigger.ABUSE_REPORT:
        facts["trusted_reporter"] = bool(trusted_by)
    return facts, trusted_by


@router.post("/policy/events", response={201: list[EventOut]}, summary="Any policy event (resource abuse...)")
def post_events(request, payload: EventsIn):
    items = []
    for item in payload.events:
        facts, trusted_by = _as_reported(request, item.trigger, item.facts)
        items.append(
            {
                **item.dict(),
                "facts": facts,
                "trusted_by": trusted_by,
                "unit": item.unit.dict(exclude_none=True),
                "payload": item.dict(),
            }
        )
    events = services.receive_events(items, source=EventSource.API, batch=payload.batch, by=request.agent)
    return Status(201, _events(events))


class AbuseReportIn(In):
    source_ip: str = ""
    reported_domain: str = ""
    category: str = Field("", description="worm, ddos, scan, spam, phishing, malware...")
    feedback_type: str = "abuse"
    reporter: str = ""
    arrival_date: Moment | None = None
    incidents: int = Field(1, ge=1)
    idempotency_key: str | None = None


@router.post("/policy/abuse-reports", response={201: list[EventOut]}, summary="An abuse report (JSON)")
def post_abuse_report(request, payload: AbuseReportIn):

    if not (payload.source_ip or payload.reported_domain):
        raise ServiceError("give source_ip or reported_domain: what is being reported", field="source_ip")
    facts, unit = arf.report_facts(
        feedback_type=payload.feedback_type,
        category=payload.category,
        reporter=payload.reporter,
        source_ip=payload.source_ip,
        domain=payload.reported_domain,
        arrived=payload.arrival_date,
        incidents=payload.incidents,
    )
    facts, trusted_by = _as_reported(request, Trigger.ABUSE_REPORT, facts)
    item = {
        "trusted_by": trusted_by,
        "trigger": Trigger.ABUSE_REPORT,
        "kind": "report",
        "facts": facts,
        "unit": unit,
        "payload": payload.dict() | {"arrival_date": str(payload.arrival_date or "")},
        "idempotency_key": payload.idempotency_key,
    }
    return Status(201, _events(services.receive_events([item], source=EventSource.API, by=request.agent)))


class ScanResultIn(In):
    unit: UnitRef
    infected: bool
    signature: str = ""
    confidence: float = Field(1.0, ge=0, le=1)
    files: int = Field(0, ge=0)


class ScanIn(In):
    scanner: str
    scan_id: str = Field(
        ..., description="One scan run: its results share one notice and one case per customer"
    )
    results: list[ScanResultIn] = Field(..., min_length=1, max_length=5000)


@router.post("/policy/scans", response={201: list[EventOut]}, summary="A malware scan's results")
def post_scan(request, payload: ScanIn):
    items = [
        {
            "trigger": Trigger.MALWARE_SCAN,
            "kind": "scan",
            "facts": {
                "infected": r.infected,
                "signature": r.signature,
                "confidence": r.confidence,
                "files": r.files,
                "scanner": payload.scanner,
            },
            "unit": r.unit.dict(exclude_none=True),
            "payload": r.dict(),
            "idempotency_key": f"{payload.scanner}:{payload.scan_id}:{n}",
        }
        for n, r in enumerate(payload.results)
    ]
    events = services.receive_events(
        items, source=EventSource.SCANNER, batch=f"scan:{payload.scan_id}", by=request.agent
    )
    return Status(201, _events(events))


class BillingIn(In):
    kind: str = Field(..., description="invoice_overdue or payment_received")
    customer_id: int
    invoice: str
    amount: Decimal = Decimal("0")
    days_overdue: int = Field(0, ge=0)
    unit_id: int | None = None
    idempotency_key: str = ""


@router.post("/policy/billing", response={201: list[EventOut]}, summary="A billing event")
def post_billing(request, payload: BillingIn):
    return Status(201, _events(services.receive_billing_event(**payload.dict(), by=request.agent)))


# ---------------------------------------------------------------- decisions


class OverrideOut(Schema):
    id: int
    kind: str
    agent: str
    reason: str
    goodwill: str
    value: Decimal
    before: dict
    after: dict
    created_at: datetime
    reversed_at: datetime | None


class DecisionOut(Schema):
    id: int
    rule: str
    rule_version: int | None
    unit_id: int
    unit: str
    action: str
    status: str
    emergency: bool
    why: str
    due_at: datetime | None
    applied_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    case: str | None
    notification_id: int | None
    replaces: int | None
    overrides: list[OverrideOut]


def _override(o: Override) -> dict:
    return {
        "id": o.pk,
        "kind": o.kind,
        "agent": str(o.agent),
        "reason": o.reason,
        "goodwill": o.goodwill,
        "value": o.value,
        "before": o.before,
        "after": o.after,
        "created_at": o.created_at,
        "reversed_at": o.reversed_at,
    }


def _decision(d: Decision) -> dict:
    return {
        "id": d.pk,
        "rule": d.rule.name if d.rule_id else "",
        "rule_version": d.rule_version,
        "unit_id": d.unit_id,
        "unit": d.unit.name,
        "action": d.action,
        "status": d.status,
        "emergency": d.emergency,
        "why": d.why,
        "due_at": d.due_at,
        "applied_at": d.applied_at,
        "ended_at": d.ended_at,
        "end_reason": d.end_reason,
        "case": d.case.ref if d.case_id else None,
        "notification_id": d.notification_id,
        "replaces": d.replaces_id,
        # .all() keeps a prefetch (decisions_for_case): no query per decision; sorted here either way
        "overrides": [_override(o) for o in sorted(d.overrides.all(), key=lambda o: o.pk)],
    }


def _get_decision(decision_id: int) -> Decision:
    overrides = Override.objects.select_related("agent").order_by("pk")
    decisions = Decision.objects.select_related("unit", "rule", "case")
    return get_or_404(decisions.prefetch_related(Prefetch("overrides", queryset=overrides)), pk=decision_id)


@router.get("/policy/decisions/{decision_id}", response=DecisionOut)
def get_decision(request, decision_id: Id):
    return _decision(_get_decision(decision_id))


@router.get(
    "/cases/{case_ref}/decisions", response=list[DecisionOut], summary="The decision history of a case"
)
def case_decisions(request, case_ref: str):
    return [_decision(d) for d in services.decisions_for_case(access_case(request.agent, case_ref))]


class OverrideIn(In):
    kind: OverrideKind = Field(..., description="do_less, do_differently or delay")
    reason: str
    action: ActionKind | None = Field(None, description="The action instead (do_less, do_differently)")
    until: Moment | None = Field(None, description="When it runs instead (delay)")


@router.post("/policy/decisions/{decision_id}/override", response=DecisionOut)
def override(request, decision_id: Id, payload: OverrideIn):
    decision = _get_decision(decision_id)
    services.override_decision(decision, by=request.agent, via="api", **payload.dict())
    return _decision(_get_decision(decision_id))


class ReasonIn(In):
    reason: str


class WidenIn(ReasonIn):
    unit_id: int | None = Field(None, description="The wider unit; default: the parent")


@router.post("/policy/decisions/{decision_id}/widen", response={201: DecisionOut})
def widen(request, decision_id: Id, payload: WidenIn):
    decision = _get_decision(decision_id)
    target = get_or_404(ServiceUnit.objects, pk=payload.unit_id) if payload.unit_id else None
    wide = services.widen_decision(decision, by=request.agent, reason=payload.reason, to=target, via="api")
    return Status(201, _decision(_get_decision(wide.pk)))


class DecideIn(ReasonIn):
    approve: bool


@router.post("/policy/decisions/{decision_id}/decide", response=DecisionOut, summary="Settle a held action")
def decide(request, decision_id: Id, payload: DecideIn):
    decision = _get_decision(decision_id)
    services.decide(decision, by=request.agent, approve=payload.approve, reason=payload.reason, via="api")
    return _decision(_get_decision(decision_id))


@router.post(
    "/policy/decisions/{decision_id}/end", response=DecisionOut, summary="Lift or withdraw (restore)"
)
def end(request, decision_id: Id, payload: ReasonIn):
    services.end_decision(_get_decision(decision_id), by=request.agent, reason=payload.reason, via="api")
    return _decision(_get_decision(decision_id))


@router.post("/policy/overrides/{override_id}/reverse", response=OverrideOut)
def reverse(request, override_id: Id, payload: ReasonIn):
    override = get_or_404(Override.objects, pk=override_id)
    return _override(services.reverse_override(override, by=request.agent, reason=payload.reason, via="api"))


class GoodwillIn(In):
    customer_id: int
    goodwill: GoodwillKind
    reason: str
    value: Decimal | None = Field(None, description="What it costs; a free restore has a default")
    case: str | None = Field(None, description="The case reference (C-12)")
    rule_id: int | None = Field(None, description="The rule this goes beyond, for the rules-to-fix report")


@router.post(
    "/policy/goodwill", response={201: OverrideOut}, summary="Goodwill within your monthly allowance"
)
def goodwill(request, payload: GoodwillIn):
    customer = get_or_404(Customer.objects, pk=payload.customer_id)
    case = access_case(request.agent, payload.case, related=()) if payload.case else None
    rule = get_or_404(PolicyRule.objects, pk=payload.rule_id) if payload.rule_id else None
    granted = services.grant_goodwill(
        customer,
        by=request.agent,
        goodwill=payload.goodwill,
        reason=payload.reason,
        value=payload.value,
        case=case,
        rule=rule,
        via="api",
    )
    return Status(201, _override(granted))


class ReportRow(Schema):
    rule_id: int
    rule: str
    fired: int
    overridden: int
    override_rate: float
    held: int
    repeated: int
    reopened: int
    too_early: int
    goodwill: int
    goodwill_value: float
    verdict: str


@router.get("/policy/rules-to-fix", response=list[ReportRow], summary="Rules by override rate and outcome")
def rules_to_fix(request):
    return [
        {
            "rule_id": row.rule.pk,
            "rule": row.rule.name,
            "override_rate": row.override_rate,
            "verdict": row.verdict,
            **{
                k: getattr(row, k)
                for k in ("fired", "overridden", "held", "repeated", "reopened", "too_early")
            },
            "goodwill": row.goodwill,
            "goodwill_value": row.goodwill_value,
        }
        for row in reports.rules_to_fix()
    ]
