"""The Correlation page: the grouping rules with their measured precision and recall, the groups waiting
for a lead, what shadow rules would have grouped, and how early recent incidents were found."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core import clock
from frontline.core.db import digits, text_id
from frontline.core.errors import ServiceError
from frontline.correlation import quality, rules, services
from frontline.correlation.models import GroupBy, GroupingRule, Proposal, ProposalState, RuleMode
from frontline.incidents import services as incidents
from frontline.incidents.models import Incident
from frontline.web.access import agent_required

RECENT = timedelta(days=90)


@require_GET
@agent_required
def correlation_page(request):
    recent = Incident.objects.filter(started_at__gte=clock.now() - RECENT).order_by("-started_at")[:20]
    found = [incidents.earliness(incident) for incident in recent]
    affected = sum(f.affected for f in found)
    return render(
        request,
        "correlation/page.html",
        {
            "scores": quality.scores(),
            "pending": Proposal.objects.filter(state=ProposalState.PENDING).select_related("rule"),
            "shadow": Proposal.objects.filter(state=ProposalState.SHADOW)
            .select_related("rule")
            .order_by("-proposed_at")[:30],
            "opened": Proposal.objects.filter(state=ProposalState.OPENED)
            .select_related("rule", "incident")
            .order_by("-proposed_at")[:30],
            "earliness": found,
            "told_first": sum(f.told_first for f in found),
            "affected": affected,
            "rules": GroupingRule.objects.order_by("name"),
            "group_by": GroupBy.choices,
            "modes": RuleMode.choices,
            "can_edit": request.agent.can(Capability.RUN_INCIDENTS),
        },
    )


@require_POST
@agent_required
def save_rule(request):
    require(request.agent, Capability.RUN_INCIDENTS)
    existing = request.POST.get("rule", "")
    rule = get_object_or_404(GroupingRule, pk=existing) if text_id(existing) is not None else None
    saved = rules.save_rule(
        by=request.agent,
        rule=rule,
        name=request.POST.get("name", ""),
        condition=request.POST.get("condition", ""),
        group_by=request.POST.get("group_by", GroupBy.UPSTREAM),
        window_minutes=_number(request.POST.get("window_minutes"), "window_minutes"),
        min_count=_number(request.POST.get("min_count"), "min_count"),
        needs_approval=request.POST.get("needs_approval") == "on",
        mode=request.POST.get("mode", RuleMode.SHADOW),
        description=request.POST.get("description", ""),
    )
    messages.success(request, f"Grouping rule {saved.name!r} saved ({saved.get_mode_display().lower()})")
    return redirect(reverse("correlation:page"))


def _number(value, field: str) -> int:
    if not digits((value or "").strip()):
        raise ServiceError("give a whole number", field=field)
    return int(value)


@require_POST
@agent_required
def decide(request, pk: int):
    require(request.agent, Capability.RUN_INCIDENTS)
    proposal = get_object_or_404(Proposal, pk=pk)
    accept = request.POST.get("decision") == "accept"
    proposal = services.decide(
        proposal, accept=accept, by=request.agent, reason=request.POST.get("reason", "")
    )
    if accept:
        messages.success(
            request, f"{proposal.incident.ref} opened: its cases are linked and its customers told"
        )
        return redirect(reverse("incidents:detail", args=[proposal.incident_id]))
    messages.success(request, "Declined: these cases go on by themselves")
    return redirect(reverse("correlation:page"))
