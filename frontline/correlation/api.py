"""Correlation over JSON: grouping rules (checked at save), the groups they found, and their measured
quality."""

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core.api import Id, In, Limit, get_or_404
from frontline.correlation import quality, rules, services
from frontline.correlation.models import GroupBy, GroupingRule, Proposal, ProposalState, RuleMode

router = Router(tags=["correlation"])


class GroupingRuleIn(In):
    name: str = Field(max_length=100)
    condition: str = Field(max_length=5000, description="CEL over case, customer and element")
    group_by: GroupBy = GroupBy.UPSTREAM
    window_minutes: int = Field(15, ge=1, le=1440)
    min_count: int = Field(5, ge=2, le=100_000)
    needs_approval: bool = True
    mode: RuleMode = Field(RuleMode.SHADOW, description="off, shadow (records only) or on")
    description: str = Field("", max_length=5000)


class GroupingRuleOut(GroupingRuleIn):
    id: int
    version: int


def _rule(rule: GroupingRule) -> dict:
    return {k: getattr(rule, k) for k in GroupingRuleIn.model_fields} | {
        "id": rule.pk,
        "version": rule.version,
    }


@router.get("/correlation/rules", response=list[GroupingRuleOut])
def list_rules(request):
    return [_rule(r) for r in GroupingRule.objects.order_by("name")]


@router.post(
    "/correlation/rules", response={201: GroupingRuleOut}, summary="Add a grouping rule (checked at save)"
)
def create_rule(request, payload: GroupingRuleIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    return Status(201, _rule(rules.save_rule(by=request.agent, via="api", **payload.dict())))


@router.put("/correlation/rules/{rule_id}", response=GroupingRuleOut)
def change_rule(request, rule_id: Id, payload: GroupingRuleIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    rule = get_or_404(GroupingRule.objects, pk=rule_id)
    return _rule(rules.save_rule(by=request.agent, rule=rule, via="api", **payload.dict()))


class ProposalOut(Schema):
    id: int
    rule: str
    key: str
    label: str
    state: str
    count: int
    customers: int
    why: str
    first_seen_at: datetime
    last_seen_at: datetime
    proposed_at: datetime | None
    incident: str | None


def _proposal(p: Proposal) -> dict:
    keys = ("key", "label", "state", "count", "customers", "why", "first_seen_at", "last_seen_at")
    return {k: getattr(p, k) for k in (*keys, "proposed_at")} | {
        "id": p.pk,
        "rule": p.rule.name,
        "incident": p.incident.ref if p.incident_id else None,
    }


@router.get(
    "/correlation/proposals", response=list[ProposalOut], summary="Groups the rules found, newest first"
)
def list_proposals(request, state: ProposalState | None = None, limit: Limit = 50):
    found = Proposal.objects.select_related("rule", "incident").exclude(state=ProposalState.GATHERING)
    if state:
        found = Proposal.objects.select_related("rule", "incident").filter(state=state)
    return [_proposal(p) for p in found.order_by("-last_seen_at")[:limit]]


class DecisionIn(In):
    accept: bool
    reason: str = Field("", max_length=2000)


@router.post(
    "/correlation/proposals/{proposal_id}/decision",
    response=ProposalOut,
    summary="A lead accepts (the incident opens, its cases are linked) or declines a proposal",
)
def decide(request, proposal_id: Id, payload: DecisionIn):
    require(request.agent, Capability.RUN_INCIDENTS)
    proposal = get_or_404(Proposal.objects, pk=proposal_id)
    decided = services.decide(
        proposal, accept=payload.accept, by=request.agent, reason=payload.reason, via="api"
    )
    return _proposal(decided)


class ScoreOut(Schema):
    rule: str
    mode: str
    groups: int
    grouped_cases: int
    labelled_pairs: int
    agreed: int
    same_pairs: int
    found: int
    precision: float | None = Field(description="Of labelled pairs it grouped, the share labelled the same")
    recall: float | None = Field(description="Of pairs labelled the same, the share it grouped together")


@router.get("/correlation/quality", response=list[ScoreOut], summary="Each rule's precision and recall")
def grouping_quality(request):
    fields = ("groups", "grouped_cases", "labelled_pairs", "agreed", "same_pairs", "found")
    return [
        {k: getattr(s, k) for k in (*fields, "precision", "recall")}
        | {"rule": s.rule.name, "mode": s.rule.mode}
        for s in quality.scores()
    ]
