"""People deciding otherwise than the rules: overrides with a reason (and their reversal), goodwill within an
allowance, widening to a larger unit, approving or rejecting what waits for a person, ending an action.

Every one is recorded as an Override and an event, and counted in the rules-to-fix report."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.errors import Conflict, NotAllowed, ServiceError, require_choice
from frontline.customers.models import Customer, ServiceUnit
from frontline.customers.services import has_working_channel
from frontline.policy import events
from frontline.policy.decisions import end, put_in_force, release, schedule_with_notice
from frontline.policy.guardrails import LIVE_STATUSES
from frontline.policy.models import (
    DISRUPTIVE,
    WEIGHT,
    ActionKind,
    Decision,
    DecisionStatus,
    GoodwillKind,
    Override,
    OverrideKind,
    PolicyRule,
)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("an override needs a reason", field="reason")
    return reason


def _snapshot(decision: Decision) -> dict:
    return {
        "decision_id": decision.pk,
        "action": decision.action,
        "status": decision.status,
        "due_at": decision.due_at.isoformat() if decision.due_at else None,
        "unit_id": decision.unit_id,
    }


def _replacement(
    decision: Decision, *, action: str, unit: ServiceUnit, by: Agent, why: str, in_force: bool = False
) -> Decision:
    """A person's decision standing in for the rule's, on the same event, case and notice."""
    now = clock.now()
    new = Decision(
        event=decision.event,
        rule=decision.rule,
        rule_version=decision.rule_version,
        customer=decision.customer,
        unit=unit,
        action=action,
        params=decision.params,
        severity=decision.severity,
        case=decision.case,
        notification=decision.notification,
        replaces=decision,
        decided_by=by,
        created_at=now,
        why=why,
    )
    if action not in DISRUPTIVE:
        new.status, new.applied_at = DecisionStatus.APPLIED, now
    elif in_force and unit == decision.unit:
        new.status, new.applied_at = (
            DecisionStatus.APPLIED,
            now,
        )  # milder, on a unit already noticed and in force
    elif decision.notification_id and decision.due_at and unit == decision.unit:
        # the customer was told about this unit and this time: the same notice stands
        new.status, new.due_at = DecisionStatus.SCHEDULED, max(decision.due_at, now)
    else:
        new.save()
        return schedule_with_notice(new, by=by)
    new.save()
    if new.status == DecisionStatus.APPLIED:
        put_in_force(new, by=by)
    return new


@transaction.atomic
def override_decision(
    decision: Decision,
    *,
    by: Agent,
    kind: str,
    reason: str,
    action: str | None = None,
    until: datetime | None = None,
    via: str = "web",
) -> Override:
    """Do less, do differently, or later, than the rule proposed. Needs the authority and a reason."""
    require(by, Capability.OVERRIDE_RULES)
    reason = _reason(reason)
    require_choice(kind, OverrideKind, "kind")
    decision = Decision.objects.select_for_update().select_related("unit", "customer").get(pk=decision.pk)
    before = _snapshot(decision)
    if kind == OverrideKind.GOODWILL:
        raise ServiceError("goodwill is granted with grant_goodwill, not on an action", field="kind")
    if kind == OverrideKind.DELAY:
        if decision.status not in (DecisionStatus.SCHEDULED, DecisionStatus.HELD):
            raise Conflict("only an action that has not run yet can be delayed", field="kind")
        if until is None or (decision.due_at and until <= decision.due_at) or until <= clock.now():
            raise ServiceError("a delay needs a time later than the one planned", field="until")
        decision.due_at = until
        decision.save(update_fields=["due_at"])
        after = _snapshot(decision)
    else:
        if decision.status not in LIVE_STATUSES:
            raise Conflict(f"this action is already {decision.get_status_display().lower()}")
        require_choice(action or "", ActionKind, "action")
        if action == decision.action:
            raise ServiceError("that is what the rule proposed; choose another action", field="action")
        if kind == OverrideKind.DO_LESS and WEIGHT[action] >= WEIGHT[decision.action]:
            raise ServiceError(
                f"{ActionKind(action).label.lower()} is not less than "
                f"{ActionKind(decision.action).label.lower()}",
                field="action",
            )
        was_applied = decision.status == DecisionStatus.APPLIED
        decision.status, decision.ended_at, decision.end_reason = (
            DecisionStatus.OVERRIDDEN,
            clock.now(),
            reason,
        )
        decision.save(update_fields=["status", "ended_at", "end_reason"])
        if was_applied:
            release(decision, reason=f"overridden by {by}: {reason}", by=by)
        new = _replacement(
            decision,
            action=action,
            unit=decision.unit,
            by=by,
            in_force=was_applied,
            why=f"{OverrideKind(kind).label} by {by}: {reason}",
        )
        after = _snapshot(new)
    return _record_override(decision, kind=kind, by=by, reason=reason, before=before, after=after, via=via)


def _record_override(
    decision: Decision,
    *,
    kind: str,
    by: Agent,
    reason: str,
    before: dict,
    after: dict | None = None,
    via: str,
) -> Override:
    after = after if after is not None else _snapshot(decision)
    override = Override.objects.create(
        kind=kind,
        decision=decision,
        rule=decision.rule,
        customer=decision.customer,
        case=decision.case,
        agent=by,
        reason=reason,
        before=before,
        after=after,
        created_at=clock.now(),
    )
    events.override_recorded(override=override, decision=decision, by=by, via=via)
    return override


@transaction.atomic
def reverse_override(override: Override, *, by: Agent, reason: str, via: str = "web") -> Override:
    """Undo an override: the rule's decision stands again as it was (a goodwill grant stops counting)."""
    require(
        by, Capability.OVERRIDE_RULES if override.kind != OverrideKind.GOODWILL else Capability.WORK_CASES
    )
    reason = _reason(reason)
    override = Override.objects.select_for_update().get(pk=override.pk)
    if override.reversed_at:
        raise Conflict("this override was already reversed")
    now = clock.now()
    if override.kind == OverrideKind.DELAY:
        decision = Decision.objects.select_for_update().get(pk=override.decision_id)
        if decision.status == DecisionStatus.SCHEDULED:
            decision.due_at = max(datetime.fromisoformat(override.before["due_at"]), now)
            decision.save(update_fields=["due_at"])
    elif override.kind in (OverrideKind.DO_LESS, OverrideKind.DO_DIFFERENTLY, OverrideKind.END):
        if override.kind != OverrideKind.END:
            replacement = Decision.objects.get(pk=override.after["decision_id"])
            if replacement.status in LIVE_STATUSES:
                end(replacement, reason=f"override reversed: {reason}", by=by, via=via)
        decision = Decision.objects.select_for_update().get(pk=override.decision_id)
        decision.status, decision.ended_at, decision.end_reason = override.before["status"], None, ""
        if decision.status == DecisionStatus.SCHEDULED:
            decision.due_at = max(datetime.fromisoformat(override.before["due_at"]), now)
        decision.save(update_fields=["status", "ended_at", "end_reason", "due_at"])
        if decision.status == DecisionStatus.APPLIED:
            put_in_force(decision, by=by)
    override.reversed_at, override.reversed_by, override.reverse_reason = now, by, reason
    override.save(update_fields=["reversed_at", "reversed_by", "reverse_reason"])
    events.override_reversed(override=override, reason=reason, by=by, via=via)
    return override


def goodwill_used(agent: Agent, at: datetime | None = None) -> Decimal:
    """What this person granted this calendar month, reversed grants not counted."""
    at = at or clock.now()
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = Override.objects.filter(
        agent=agent, kind=OverrideKind.GOODWILL, reversed_at__isnull=True, created_at__gte=start
    ).aggregate(total=Sum("value"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


@transaction.atomic
def grant_goodwill(
    customer: Customer,
    *,
    by: Agent,
    goodwill: str,
    reason: str,
    value=None,
    case: Case | None = None,
    decision: Decision | None = None,
    rule: PolicyRule | None = None,
    via: str = "web",
) -> Override:
    """Beyond the contract (a credit, a payment extension, a free restore), within a monthly allowance."""
    require(by, Capability.WORK_CASES)
    reason = _reason(reason)
    require_choice(goodwill, GoodwillKind, "goodwill")
    if value in (None, "") and goodwill == GoodwillKind.FREE_RESTORE:
        value = settings.FRONTLINE_FREE_RESTORE_VALUE
    try:
        value = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError("value must be an amount of money", field="value") from exc
    if value <= 0:
        raise ServiceError("value must be more than zero: what does this cost us?", field="value")
    Agent.objects.select_for_update().filter(pk=by.pk).first()  # one grant at a time per person
    used = goodwill_used(by)
    if used + value > by.goodwill_allowance:
        raise NotAllowed(
            f"over your goodwill allowance: {used} of {by.goodwill_allowance} used this month, "
            f"this is {value}; "
            "ask a team lead"
        )
    override = Override.objects.create(
        kind=OverrideKind.GOODWILL,
        goodwill=goodwill,
        value=value,
        decision=decision,
        rule=rule or (decision.rule if decision else None),
        customer=customer,
        case=case,
        agent=by,
        reason=reason,
        created_at=clock.now(),
        after={"goodwill": goodwill, "value": str(value)},
    )
    events.goodwill_granted(
        override=override,
        goodwill=goodwill,
        value=value,
        allowance_left=by.goodwill_allowance - used - value,
        by=by,
        via=via,
    )
    return override


@transaction.atomic
def widen_decision(
    decision: Decision, *, by: Agent, reason: str, to: ServiceUnit | None = None, via: str = "web"
) -> Decision:
    """The second, explicit decision acting on a wider unit takes: a person's, with a reason, with notice."""
    require(by, Capability.OVERRIDE_RULES)
    reason = _reason(reason)
    decision = Decision.objects.select_related("unit").get(pk=decision.pk)
    target = to or decision.unit.parent
    if target is None:
        raise ServiceError(f"{decision.unit.name} has no parent unit to widen to", field="to")
    ancestors, unit = [], decision.unit.parent
    while unit is not None:
        ancestors.append(unit.pk)
        unit = unit.parent
    if target.pk not in ancestors:
        raise ServiceError(f"{target.name} does not contain {decision.unit.name}", field="to")
    new = _replacement(
        decision,
        action=decision.action,
        unit=target,
        by=by,
        in_force=decision.status == DecisionStatus.APPLIED,
        why=f"Widened from {decision.unit.name} to {target.name} by {by}: {reason}",
    )
    events.decision_widened(decision=new, widened_from=decision, reason=reason, by=by)
    return new


@transaction.atomic
def decide(decision: Decision, *, by: Agent, approve: bool, reason: str, via: str = "web") -> Decision:
    """A person settles a held action or one waiting for approval: go ahead with notice, or drop it."""
    require(by, Capability.OVERRIDE_RULES)
    reason = _reason(reason)
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.status not in (DecisionStatus.HELD, DecisionStatus.PENDING_APPROVAL):
        raise Conflict("only a held action or one waiting for approval can be decided")
    if not approve:
        return end(decision, reason=f"rejected by {by}: {reason}", by=by, via=via)
    if decision.action == ActionKind.ASK_APPROVAL:
        raise ServiceError(
            "say which action to take instead: override it with do differently", field="approve"
        )
    if decision.status == DecisionStatus.HELD and not has_working_channel(decision.customer):
        raise ServiceError("still no working channel: fix a contact point first, or override with a reason")
    decision.decided_by, decision.why = by, decision.why + f" Approved by {by}: {reason}."
    decision.save(update_fields=["decided_by", "why"])
    schedule_with_notice(decision, by=by)
    events.decision_made(decision=decision, by=by, reason=reason)
    return decision


def end_decision(decision: Decision, *, reason: str, by=None, via: str = "web") -> Decision:
    """Lift an action in force, or withdraw one that has not run yet. Restoring is this.

    By a person it breaks the rule's decision, so it needs the authority to override and is recorded as an
    override with its reason (the rules-to-fix report counts it, and it can be reversed); by the rules
    themselves (a clean re-scan, a payment) it is the rule's own way back."""
    if by is None:
        return end(decision, reason=reason, by=None, via=via)
    require(by, Capability.OVERRIDE_RULES)
    reason = _reason(reason)
    with transaction.atomic():
        before = _snapshot(Decision.objects.select_for_update().get(pk=decision.pk))
        ended = end(decision, reason=reason, by=by, via=via)
        _record_override(ended, kind=OverrideKind.END, by=by, reason=reason, before=before, via=via)
    return ended
