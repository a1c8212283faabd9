"""The policy pages: decisions and overrides on the case page, goodwill, the rules with their report.

Thin: parse, call a service, redirect back; refusals become 400/403 pages through the middleware."""

import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontline.cases.lookup import access_case
from frontline.core.db import digits
from frontline.core.errors import ServiceError
from frontline.customers.models import Customer
from frontline.policy import reports, schema, services
from frontline.policy.models import (
    ActionKind,
    Decision,
    Override,
    PolicyRule,
    Severity,
    Trigger,
)
from frontline.web.access import agent_required
from frontline.web.forms import typed_time


def _back(decision: Decision):
    return redirect("cases:detail", ref=decision.case.ref) if decision.case_id else redirect("policy:rules")


def _when(raw: str) -> datetime.datetime | None:
    """Optional: blank is no time; anything else typed (spaces included) must read as one."""
    return typed_time(
        (raw or "").strip(), field="until", message="give the time as YYYY-MM-DD HH:MM", required=bool(raw)
    )


@require_POST
@agent_required
def override(request, pk: int):
    decision = get_object_or_404(Decision, pk=pk)
    services.override_decision(
        decision,
        by=request.agent,
        kind=request.POST.get("kind", ""),
        reason=request.POST.get("reason", ""),
        action=request.POST.get("action") or None,
        until=_when(request.POST.get("until", "")),
    )
    messages.success(request, "Overridden, with your reason on the record.")
    return _back(decision)


@require_POST
@agent_required
def widen(request, pk: int):
    decision = get_object_or_404(Decision, pk=pk)
    services.widen_decision(decision, by=request.agent, reason=request.POST.get("reason", ""))
    messages.success(request, "Widened: a new decision, with its own notice and grace.")
    return _back(decision)


@require_POST
@agent_required
def decide(request, pk: int):
    decision = get_object_or_404(Decision, pk=pk)
    approve = request.POST.get("approve") == "yes"
    services.decide(decision, by=request.agent, approve=approve, reason=request.POST.get("reason", ""))
    return _back(decision)


@require_POST
@agent_required
def end(request, pk: int):
    decision = get_object_or_404(Decision, pk=pk)
    services.end_decision(decision, by=request.agent, reason=request.POST.get("reason", ""))
    messages.success(request, "Lifted." if decision.status == "applied" else "Withdrawn.")
    return _back(decision)


@require_POST
@agent_required
def reverse(request, pk: int):
    override = get_object_or_404(Override, pk=pk)
    services.reverse_override(override, by=request.agent, reason=request.POST.get("reason", ""))
    messages.success(request, "Override reversed.")
    return redirect("cases:detail", ref=override.case.ref) if override.case_id else redirect("policy:rules")


@require_POST
@agent_required
def goodwill(request):
    customer = get_object_or_404(Customer, pk=request.POST.get("customer") or 0)
    case = access_case(request.agent, request.POST["case"], related=()) if request.POST.get("case") else None
    rule = PolicyRule.objects.filter(pk=request.POST.get("rule") or 0).first()
    services.grant_goodwill(
        customer,
        by=request.agent,
        goodwill=request.POST.get("goodwill", ""),
        value=request.POST.get("value") or None,
        reason=request.POST.get("reason", ""),
        case=case,
        rule=rule,
    )
    messages.success(request, "Goodwill granted; it counts against your allowance this month.")
    return redirect("cases:detail", ref=case.ref) if case else redirect("customers:detail", pk=customer.pk)


@require_GET
@agent_required
def rules(request):
    """?rule=ID opens that rule in the form with everything it says now, so that saving changes only what
    the person changed."""
    chosen = request.GET.get("rule", "")
    valid = digits(chosen) and len(chosen) < 12
    rule = PolicyRule.objects.filter(pk=int(chosen)).first() if valid else None
    return render(request, "policy/rules.html", _rules_context(request, form=_form_of(rule) if rule else {}))


def _form_of(rule: PolicyRule) -> dict:
    return {
        "rule": str(rule.pk),
        "name": rule.name,
        "trigger": rule.trigger,
        "condition": rule.condition,
        "action": rule.action,
        "severity": rule.severity,
        "grace_minutes": "" if rule.grace_minutes is None else str(rule.grace_minutes),
        "enabled": rule.enabled,
        "changing": rule,
    }


def _rules_context(request, **extra) -> dict:
    return {
        "rows": reports.rules_to_fix(),
        "triggers": Trigger.choices,
        "actions": ActionKind.choices,
        "severities": Severity.choices,
        "schemas": [
            (label, [(name, str(kind)) for name, kind in schema.variables(value)["event"].fields])
            for value, label in Trigger.choices
        ],
        "records": [schema.UNIT, schema.CUSTOMER, schema.HISTORY],
        **extra,
    }


@require_POST
@agent_required
def save_rule(request):
    """Write or change a rule from the page; a refused condition comes back with its position and the text."""
    rule = PolicyRule.objects.filter(pk=request.POST.get("rule") or 0).first()
    grace = request.POST.get("grace_minutes", "").strip()
    try:
        saved = services.save_rule(
            by=request.agent,
            rule=rule,
            name=request.POST.get("name", ""),
            trigger=request.POST.get("trigger", ""),
            condition=request.POST.get("condition", ""),
            action=request.POST.get("action", ""),
            severity=request.POST.get("severity", ""),
            grace_minutes=int(grace) if digits(grace) and len(grace) < 9 else None,
            enabled=request.POST.get("enabled") == "on",
            description=request.POST.get("description", ""),
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as refused:
        context = _rules_context(request, error=refused.message, form=request.POST)
        return render(request, "policy/rules.html", context, status=400)
    messages.success(request, f"Saved {saved.name} as version {saved.version}.")
    return redirect("policy:rules")
