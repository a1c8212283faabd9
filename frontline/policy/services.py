"""The policy engine's state changes: rules, events, decisions and the guardrails around them.

The life of an event:

1. `receive_events` stores each event exactly as it came (status "received") and commits, so a bad one
   loses nothing; then `judge_event` finds its unit (or raises it for a person), builds and stores the
   typed context the rules see, and runs the rules of its trigger.
2. Each rule that fires becomes a `Decision` on **that unit**, the smallest the event names; no rule can
   aim wider (`widen_decision` is a person's second decision, with a reason).
3. Guardrails, whatever the rule says: a disruptive action is *scheduled* after notice, at the end of
   its severity's grace, which can never be shorter than the ladder needs to reach a person; with no
   working channel it is *held* for a person; only the emergency class acts at once, and only on an
   active attack on others, notifying at the same moment and saying why. Every disruptive decision comes
   with a cleanup case, and each has its way back: a clean re-scan or a payment lifts it, a person restores.
4. `apply_due_decisions` (a recurring job) applies what fell due. Acknowledging the notice stops its ladder
   and changes nothing here: the action runs on its own clock.
"""

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum

from frontline.agents.models import Agent, Capability, Skill
from frontline.agents.services import require
from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.errors import NotAllowed, ServiceError, require_choice
from frontline.customers.models import Customer, ServiceUnit, UnitState
from frontline.customers.services import has_working_channel, set_unit_state
from frontline.delivery.models import SUCCESSES
from frontline.notifications import services as notifications
from frontline.notifications.models import NotificationStatus
from frontline.notifications.services import choose_ladder, time_to_human_rung
from frontline.policy import engine, events, expressions, schema
from frontline.policy.models import (
    DISRUPTIVE,
    WEIGHT,
    ActionKind,
    Decision,
    DecisionStatus,
    EventSource,
    GoodwillKind,
    Override,
    OverrideKind,
    PolicyEvent,
    PolicyEventStatus,
    PolicyRule,
    RuleVersion,
    Severity,
    Trigger,
)
from frontline.todos.models import ToDoKind
from frontline.todos.services import raise_todo

HOUR = timedelta(hours=1)
# How long the customer has between the notice and the action, per severity (a rule may ask for more).
GRACE = {
    Severity.NOTICE: 72 * HOUR,
    Severity.STANDARD: 24 * HOUR,
    Severity.URGENT: 6 * HOUR,
    Severity.EMERGENCY: timedelta(0),
}
# Which ladder gives the notice.
URGENCY = {
    Severity.NOTICE: "routine",
    Severity.STANDARD: "urgent",
    Severity.URGENT: "critical",
    Severity.EMERGENCY: "critical",
}
# Only these triggers can be an attack on others, which alone may skip the grace period.
EMERGENCY_TRIGGERS = frozenset({Trigger.ABUSE_REPORT, Trigger.RESOURCE_ABUSE})
# What the unit's state becomes while an action is in force (rate-limiting leaves it serving).
UNIT_STATE = {ActionKind.CONTAIN: UnitState.CONTAINED, ActionKind.SUSPEND: UnitState.SUSPENDED}
# Triggers whose actions a clean re-scan lifts.
LIFTED_BY_CLEAN_SCAN = frozenset({Trigger.MALWARE_SCAN, Trigger.ABUSE_REPORT})
OPEN_STATUSES = (DecisionStatus.SCHEDULED, DecisionStatus.HELD, DecisionStatus.PENDING_APPROVAL)
# Not over yet: waiting to run, or in force.
LIVE_STATUSES = (*OPEN_STATUSES, DecisionStatus.APPLIED)


# ---------------------------------------------------------------- rules


def notice_time(severity: str) -> timedelta:
    """How long the severity's ladder takes to reach a person (its last rung, when it has no staff call)."""

    ladder = choose_ladder("action", URGENCY[severity])
    reach = time_to_human_rung(ladder)
    if reach is None:
        reach = timedelta(minutes=sum(step["wait_minutes"] for step in ladder.steps))
    return reach


def grace_for(severity: str, grace_minutes: int | None) -> timedelta:
    return timedelta(minutes=grace_minutes) if grace_minutes is not None else GRACE[severity]


def notice_grace(severity: str, grace_minutes: int | None = None) -> timedelta:
    """The grace a scheduled action gets: the severity's (or the rule's own), never shorter than its notice
    needs to reach a person. An emergency that did not qualify gets notice as an urgent action."""
    if severity == Severity.EMERGENCY:
        severity = Severity.URGENT
    return max(grace_for(severity, grace_minutes), notice_time(severity))


def check_condition(trigger: str, condition: str) -> None:
    """Syntax (the library), names and types (our checker over the trigger's schema), or a ServiceError."""
    try:
        expressions.validate(condition, schema.variables(trigger), schema.describe)
    except expressions.ExpressionError as exc:
        raise ServiceError(f"condition: {exc}", field="condition") from exc


def _check_rule(*, trigger, condition, action, severity, params, grace_minutes) -> None:
    require_choice(trigger, Trigger, "trigger")
    require_choice(action, ActionKind, "action")
    require_choice(severity, Severity, "severity")
    check_condition(trigger, condition)
    if not isinstance(params, dict):
        raise ServiceError("params must be an object", field="params")
    if {"scope", "unit", "target"} & set(params):
        raise ServiceError(
            "a rule acts on the unit its event names and never wider; widening is a person's decision",
            field="params",
        )
    if severity == Severity.EMERGENCY and trigger not in EMERGENCY_TRIGGERS:
        raise ServiceError(
            "only abuse reports and resource abuse can be an attack on others, the one reason to act at once",
            field="severity",
        )
    if action in DISRUPTIVE and severity != Severity.EMERGENCY:
        grace, reach = grace_for(severity, grace_minutes), notice_time(severity)
        if grace < reach:
            raise ServiceError(
                f"a grace period of {_span(grace)} is shorter than the {severity} notice needs to reach a "
                f"person ({_span(reach)}); give at least {_span(reach)}",
                field="grace_minutes",
            )


_VERSIONED = ("name", "trigger", "condition", "action", "params", "severity", "grace_minutes", "enabled")


@transaction.atomic
def save_rule(
    *,
    by: Agent,
    name: str,
    trigger: str,
    condition: str,
    action: str,
    severity: str = Severity.STANDARD,
    params: dict | None = None,
    grace_minutes: int | None = None,
    enabled: bool = True,
    description: str = "",
    reason: str = "",
    rule: PolicyRule | None = None,
    via: str = "web",
) -> PolicyRule:
    """Write or change a rule: checked first (syntax, names, types, grace), then a version and an event."""
    require(by, Capability.EDIT_POLICY)
    name, condition = (name or "").strip(), (condition or "").strip()
    if not name:
        raise ServiceError("a rule needs a name", field="name")
    params = params if params is not None else {}
    _check_rule(
        trigger=trigger,
        condition=condition,
        action=action,
        severity=severity,
        params=params,
        grace_minutes=grace_minutes,
    )
    now = clock.now()
    values = dict(
        name=name,
        trigger=trigger,
        condition=condition,
        action=action,
        params=params,
        severity=severity,
        grace_minutes=grace_minutes,
        enabled=enabled,
    )
    if rule is None:
        if PolicyRule.objects.filter(name=name).exists():
            raise ServiceError(f"there is already a rule named {name!r}", field="name")
        rule = PolicyRule.objects.create(
            **values, description=description, version=1, created_at=now, updated_at=now
        )
        changed = list(_VERSIONED)
    else:
        rule = PolicyRule.objects.select_for_update().get(pk=rule.pk)
        changed = [key for key in _VERSIONED if getattr(rule, key) != values[key]]
        if rule.description != description and description:
            rule.description = description
        if not changed:
            rule.save(update_fields=["description"])
            return rule
        if "name" in changed and PolicyRule.objects.filter(name=name).exclude(pk=rule.pk).exists():
            raise ServiceError(f"there is already a rule named {name!r}", field="name")
        for key, value in values.items():
            setattr(rule, key, value)
        rule.version += 1
        rule.updated_at = now
        rule.save()
    RuleVersion.objects.create(
        rule=rule, version=rule.version, changed_at=now, changed_by=by, reason=reason, **values
    )
    events.rule_changed(rule=rule, changed=changed, reason=reason, by=by, via=via)
    engine.rule_cache.clear()  # this process judges with the new version at once
    transaction.on_commit(engine.rule_cache.clear)
    return rule


# ---------------------------------------------------------------- events in


def find_unit(ref: dict) -> ServiceUnit | None:
    """The smallest unit the reference names: by id, then by address (a host before the line it sits on),
    then by name (a site's domain) or hostname."""
    units = ServiceUnit.objects.select_related("customer", "parent")
    if ref.get("unit_id"):
        return units.filter(pk=ref["unit_id"]).first()
    if ref.get("customer_id"):  # billing names an account: its first root unit stands for it
        return units.filter(customer_id=ref["customer_id"], parent__isnull=True).order_by("pk").first()
    candidates = []
    if ref.get("ip"):
        candidates = list(units.filter(ip_address=str(ref["ip"]).strip()))
    for key in ("name", "domain", "hostname"):
        if not candidates and ref.get(key):
            value = str(ref[key]).strip().lower().rstrip(".")
            candidates = list(units.filter(name__iexact=value)) or (
                list(units.filter(hostname__iexact=value)) if key == "hostname" else []
            )
    if len(candidates) == 1:
        return candidates[0]
    # Deepest first: the host, not the port; the site, not the account.
    return max(candidates, key=_depth, default=None)


def _depth(unit: ServiceUnit) -> int:
    depth, parent_id = 0, unit.parent_id
    while parent_id is not None:
        depth += 1
        parent_id = ServiceUnit.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return depth


def _interpretable(trigger: str, source: str, facts: dict, ref: dict) -> None:
    require_choice(trigger, Trigger, "trigger")
    require_choice(source, EventSource, "source")
    if not isinstance(facts, dict) or not isinstance(ref, dict):
        raise ServiceError("facts and unit must be objects", field="facts")
    schema.check_facts(trigger, facts)


def receive_events(
    items: list[dict], *, source: str, batch: str = "", by=None, raw_message=None
) -> list[PolicyEvent]:
    """Store each event as given, then judge them together: one notice and one case per customer for a batch.

    Each item: trigger, kind, facts (the trigger's fields), unit (a reference: unit_id, ip, name, hostname),
    payload (what the sender sent, kept for the record), idempotency_key (optional).
    """
    if by is not None:  # the rules act on these: an agent's word alone is not enough
        require(by, Capability.REPORT_EVENTS)
    if not items:
        raise ServiceError("no events given", field="events")
    for item in items:  # every item checked before any is stored: a bad batch is refused whole
        _interpretable(item.get("trigger", ""), source, item.get("facts") or {}, item.get("unit") or {})
    stored, fresh = [], []
    for item in items:
        event, created = _store(item, source=source, batch=batch, raw_message=raw_message)
        stored.append(event)
        if created:
            fresh.append(event)
    if fresh:
        with transaction.atomic():
            judged = [_judge(event, by=by) for event in fresh]
            _follow_up([d for decisions in judged for d in decisions], by=by)
    fresh_rows = PolicyEvent.objects.in_bulk([event.pk for event in stored])  # as judged, in one read
    return [fresh_rows[event.pk] for event in stored]


def _store(item: dict, *, source: str, batch: str, raw_message) -> tuple[PolicyEvent, bool]:
    key = item.get("idempotency_key") or None
    if key:
        existing = PolicyEvent.objects.filter(idempotency_key=key).first()
        if existing:
            return existing, False
    payload = item.get("payload") or {"facts": item.get("facts") or {}, "unit": item.get("unit") or {}}
    try:
        with transaction.atomic():
            event = PolicyEvent.objects.create(
                trigger=item["trigger"],
                kind=str(item.get("kind") or "")[:40],
                source=source,
                received_at=clock.now(),
                batch=batch[:120],
                idempotency_key=key,
                payload=payload,
                raw_message=raw_message,
                context={
                    "facts": item.get("facts") or {},
                    "unit_ref": item.get("unit") or {},
                    "trusted_by": item.get("trusted_by") or "",
                },
            )
    except IntegrityError:  # the same key stored meanwhile by another request
        return PolicyEvent.objects.get(idempotency_key=key), False
    return event, True


BILLING_KINDS = ("invoice_overdue", "payment_received")


def receive_billing_event(
    *,
    kind: str,
    customer_id: int,
    invoice: str,
    amount=0,
    days_overdue: int = 0,
    unit_id: int | None = None,
    idempotency_key: str = "",
    by=None,
) -> list[PolicyEvent]:
    """Billing's word: an invoice overdue (judged by the payment rules, per unit invoiced, or per root unit of
    the account), or a payment (which lifts what non-payment did)."""
    if kind not in BILLING_KINDS:
        raise ServiceError(f"kind must be one of {', '.join(BILLING_KINDS)}", field="kind")
    if days_overdue < 0:
        raise ServiceError("days_overdue cannot be negative", field="days_overdue")
    facts = {
        "days_overdue": days_overdue if kind == "invoice_overdue" else 0,
        "amount": float(amount),
        "invoice": invoice,
    }
    if unit_id:
        refs = [{"unit_id": unit_id}]
    else:
        roots = ServiceUnit.objects.filter(customer_id=customer_id, parent__isnull=True).order_by("pk")
        refs = [{"unit_id": pk} for pk in roots.values_list("pk", flat=True)] or [
            {"customer_id": customer_id}
        ]
        if kind == "payment_received":
            refs = refs[:1]  # one record of the payment; the lift covers the whole account
    items = [
        {
            "trigger": Trigger.PAYMENT_OVERDUE,
            "kind": kind,
            "facts": facts,
            "unit": ref,
            "payload": {"kind": kind, "customer_id": customer_id, "unit_id": unit_id, **facts},
            "idempotency_key": f"{idempotency_key}:{n}" if idempotency_key else None,
        }
        for n, ref in enumerate(refs)
    ]
    return receive_events(items, source=EventSource.BILLING, batch=f"billing:{invoice}", by=by)


def record_unreadable(*, trigger: str, source: str, payload: dict, problem: str, raw_message=None, by=None):
    """An abuse report or scan we could not read: kept as it came, and raised for a person."""
    with transaction.atomic():
        event = PolicyEvent.objects.create(
            trigger=trigger,
            source=source,
            received_at=clock.now(),
            payload=payload,
            raw_message=raw_message,
            status=PolicyEventStatus.UNREADABLE,
            problem=problem[:2000],
        )
        raise_todo(
            kind=ToDoKind.REVIEW_EVENT,
            title=f"Read a {event.get_trigger_display().lower()} we could not: {problem[:120]}",
            detail=problem,
            evidence={"policy_event_id": event.pk},
            by=by,
        )
    return event


def _judge(event: PolicyEvent, *, by=None) -> list[Decision]:
    facts, ref = event.context.get("facts", {}), event.context.get("unit_ref", {})
    unit = find_unit(ref)
    if unit is None:
        event.status, event.problem = (
            PolicyEventStatus.UNMATCHED,
            f"no service unit matches {_ref_words(ref)}",
        )
        event.save(update_fields=["status", "problem"])
        events.event_unmatched(event=event, by=by)
        raise_todo(
            kind=ToDoKind.REVIEW_EVENT,
            title=f"{event.get_trigger_display()} about {_ref_words(ref)}: which unit is it?",
            detail="Nothing was done: the event names no unit we know. It is kept as it came.",
            evidence={"policy_event_id": event.pk},
            by=by,
        )
        return []
    event.unit, event.customer = unit, unit.customer
    event.context = build_context(event, unit, facts) | {
        "unit_ref": ref,
        "trusted_by": event.context.get("trusted_by", ""),
    }
    event.status = PolicyEventStatus.JUDGED
    verdict = _verdict(event)
    if verdict.failed:
        event.problem = "; ".join(
            f"rule {rule.name!r} could not be evaluated: {error}" for rule, error in verdict.failed
        )
    event.save(update_fields=["unit", "customer", "context", "status", "problem"])
    events.event_received(event=event, fired=[rule.name for rule in verdict.fired], by=by)
    _lift_on_good_news(event, by=by)
    return [_propose(event, unit, rule) for rule in verdict.fired]


def _verdict(event: PolicyEvent) -> engine.Verdict:
    if _is_good_news(event):
        return engine.Verdict()  # a clean scan or a payment is judged by nothing but the lift below
    rules = engine.rule_cache.rules_for(event.trigger)
    return engine.judge(rules, engine.bindable(event.trigger, event.context))


def _ref_words(ref: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in ref.items() if value) or "nothing"


def build_context(event: PolicyEvent, unit: ServiceUnit, facts: dict) -> dict:
    """The typed context of schema.py, as the rules see it at this moment; stored with the event."""
    at = event.received_at
    customer = unit.customer
    parent = unit.parent
    month, quarter = at - timedelta(days=30), at - timedelta(days=90)
    units = ServiceUnit.objects.filter(customer=customer).aggregate(
        all=Count("id"), siblings=Count("id", filter=Q(parent_id=unit.parent_id) & ~Q(pk=unit.pk))
    )
    # One read of the customer's events of this trigger in the last 90 days (index: customer, trigger, time).
    history = (
        PolicyEvent.objects.filter(
            customer=customer, trigger=event.trigger, received_at__gte=quarter, received_at__lt=at
        )
        .exclude(pk=event.pk)
        .aggregate(
            same_unit_30d=Count("id", filter=Q(unit=unit, received_at__gte=month)),
            same_unit_90d=Count("id", filter=Q(unit=unit)),
            same_customer_30d=Count("id", filter=Q(received_at__gte=month)),
        )
    )
    history["actions_90d"] = Decision.objects.filter(
        customer=customer, applied_at__gte=quarter, action__in=DISRUPTIVE
    ).count()
    history["open_cases"] = customer.cases.filter(is_open=True).count()
    tenure = (at.date() - customer.customer_since).days / 365.25
    return {
        "event": schema.typed(
            schema.event_fields(event.trigger),
            {**facts, "trigger": event.trigger, "source": event.source, "received_at": at.isoformat()},
        ),
        "unit": schema.typed(
            schema.UNIT.fields,
            {
                "kind": unit.kind,
                "name": unit.name,
                "state": unit.state,
                "hostname": unit.hostname,
                "ip": unit.ip_address or "",
                "end_users": unit.end_users,
                "depth": _depth(unit),
                "parent_kind": parent.kind if parent else "",
                "siblings": units["siblings"],
            },
        ),
        "customer": schema.typed(
            schema.CUSTOMER.fields,
            {
                "plan": customer.plan,
                "tier": customer.tier,
                "tenure_years": round(tenure, 2),
                "monthly_value": float(customer.monthly_value),
                "units": units["all"],
                "working_channel": has_working_channel(customer),
            },
        ),
        "history": schema.typed(schema.HISTORY.fields, history)
        | {"tags": sorted(set(re.findall(r"#(\w+)", customer.notes.lower())))},
    }


# ---------------------------------------------------------------- deciding


def _propose(event: PolicyEvent, unit: ServiceUnit, rule: engine.CompiledRule) -> Decision:
    """A rule fired: its decision on the event's own unit, with the guardrails applied."""
    now = clock.now()
    decision = Decision(
        event=event,
        rule_id=rule.id,
        rule_version=rule.version,
        customer=unit.customer,
        unit=unit,
        action=rule.action,
        params=rule.params,
        severity=rule.severity,
        created_at=now,
    )
    unit_words = f"{unit.get_kind_display().lower()} {unit.name}"
    parent = unit.parent
    scope = f"Acts on {unit_words}, the unit the {event.get_trigger_display().lower()} names"
    if parent is not None:
        scope += f"; not on {parent.get_kind_display().lower()} {parent.name}, which keeps serving"
    why = [scope + "."]
    if rule.action not in DISRUPTIVE:
        decision.status = (
            DecisionStatus.PENDING_APPROVAL
            if rule.action == ActionKind.ASK_APPROVAL
            else DecisionStatus.APPLIED
        )
        decision.applied_at = now if decision.status == DecisionStatus.APPLIED else None
        why.append("Nothing is switched off: " + ActionKind(rule.action).label.lower() + ".")
    elif rule.severity == Severity.EMERGENCY and not _emergency_doubt(event):
        decision.emergency = True
        decision.status = DecisionStatus.APPLIED
        decision.applied_at = decision.due_at = now
        why.append(
            f"Emergency: {unit_words} is attacking others now ({_facts_words(event)}; "
            f"{_trusted_words(event)}), so it is contained at once and the customer is notified at the same "
            "moment."
        )
    elif not event.context["customer"]["working_channel"]:
        decision.status = DecisionStatus.HELD
        why.append(
            "Held: every address and number we have for the customer is failing, so no notice can reach "
            "them. A person decides."
        )
    else:
        grace = notice_grace(rule.severity, rule.grace_minutes)
        decision.status = DecisionStatus.SCHEDULED
        decision.due_at = now + grace
        if rule.severity == Severity.EMERGENCY:
            why.append(f"Not an emergency after all: {_emergency_doubt(event)}.")
        why.append(
            f"Notice first: the customer is told at {now:%Y-%m-%d %H:%M} UTC and it runs at "
            f"{decision.due_at:%Y-%m-%d %H:%M} UTC, after {_span(grace)} of grace; acknowledging the notice "
            "does not bring it forward."
        )
    decision.why = " ".join(why)
    decision.save()
    if decision.status == DecisionStatus.APPLIED and decision.action in DISRUPTIVE:
        _put_in_force(decision, by=None)
    return decision


def _emergency_doubt(event: PolicyEvent) -> str:
    """Why this event cannot justify acting before notice, or "" when it can: an attack on others going on
    now, reported by someone we trust (a report by mail can be forged by anyone; one through the API comes
    from an integration with a token)."""
    facts = event.context["event"]
    if not facts.get("active_attack"):
        return "the report does not say the attack is going on now"
    if facts.get("trusted_reporter"):
        return ""
    if event.source == EventSource.EMAIL:
        sender = facts.get("reporter") or "the sender"
        return f"{sender} is not among the trusted reporters, and mail can be forged"
    return "it did not come through an integration an admin trusts as a reporter"


def _trusted_words(event: PolicyEvent) -> str:
    """Whose word the emergency rests on, for the decision's reasons."""
    if event.context.get("trusted_by"):
        return f"reported through {event.context['trusted_by']}, an integration trusted as a reporter"
    reporter = event.context["event"].get("reporter") or "the sender"
    return f"reported by {reporter}, a trusted reporter"


def _facts_words(event: PolicyEvent) -> str:
    facts = event.context.get("event", {})
    words = [
        f"{key} {facts[key]}" for key in ("category", "feedback_type", "metric", "reporter") if facts.get(key)
    ]
    return ", ".join(words) or event.get_trigger_display().lower()


def _follow_up(decisions: list[Decision], *, by=None) -> None:
    """Per customer: one cleanup case and one notice for everything this batch decided."""
    per_customer: dict[int, list[Decision]] = {}
    for decision in decisions:
        per_customer.setdefault(decision.customer_id, []).append(decision)
    for group in per_customer.values():
        case = _case_for(group, by=by)
        notice = _notice_for(group, case, by=by)
        for decision in group:
            decision.case = case
            decision.notification = (
                notice if decision.status in (DecisionStatus.SCHEDULED, DecisionStatus.APPLIED) else None
            )
            decision.save(update_fields=["case", "notification"])
            events.decision_made(decision=decision, by=by)
            if decision.status in (DecisionStatus.HELD, DecisionStatus.PENDING_APPROVAL):
                _raise_decide_todo(decision, by=by)


def _raise_decide_todo(decision: Decision, *, by=None) -> None:
    held = decision.status == DecisionStatus.HELD
    raise_todo(
        kind=ToDoKind.DECIDE_ACTION,
        title=(
            f"{'Held' if held else 'Approve or reject'}: {ActionKind(decision.action).label.lower()} "
            f"{decision.unit.name} for {decision.customer}"
        ),
        detail=decision.why,
        case=decision.case,
        customer=decision.customer,
        evidence={"decision_id": decision.pk},
        by=by,
    )


def _case_for(group: list[Decision], *, by=None) -> Case | None:
    """The customer's open policy case about this trigger, or a new one, when anything needs work."""
    needs_case = [d for d in group if d.action != ActionKind.NOTIFY]
    if not needs_case:
        return None
    first = needs_case[0]
    existing = (
        Case.objects.filter(
            customer=first.customer, is_open=True, decisions__event__trigger=first.event.trigger
        )
        .order_by("-pk")
        .first()
    )
    units = [d.unit for d in needs_case]
    if existing:
        existing.affected_units.add(*units)
        return existing
    return cases.open_case(
        customer=first.customer,
        subject=_case_subject(needs_case),
        body=_case_body(needs_case),
        channel="api",
        impact="degraded",
        units=units,
        topic=_abuse_topic(first.event.trigger),
        sender="policy",
        via="policy",
    )


def _abuse_topic(trigger: str):

    slug = "billing" if trigger == Trigger.PAYMENT_OVERDUE else "abuse-security"
    return Skill.objects.filter(slug=slug).first()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _case_subject(group: list[Decision]) -> str:
    event = group[0].event
    kinds = {d.unit.get_kind_display().lower() for d in group}
    what = _plural(len(group), kinds.pop() if len(kinds) == 1 else "unit")
    names = ", ".join(d.unit.name for d in group[:3]) + ("..." if len(group) > 3 else "")
    return f"{event.get_trigger_display()}: {what} to clean up ({names})"


def _case_body(group: list[Decision]) -> str:
    lines = [
        f"{group[0].event.get_trigger_display()} ({_facts_words(group[0].event)}). What the rules decided:"
    ]
    for d in group:
        lines.append(
            f"- {ActionKind(d.action).label} {d.unit.name}: {d.get_status_display().lower()}. {d.why}"
        )
    lines.append(_lift_words(group[0].event.trigger))
    return "\n".join(lines)


def _lift_words(trigger: str) -> str:
    if trigger == Trigger.PAYMENT_OVERDUE:
        return "What lifts it: the payment, recorded by billing; or a person restores it."
    if trigger in LIFTED_BY_CLEAN_SCAN:
        return (
            "What lifts it: clean the unit and ask for a re-scan; a clean re-scan lifts it at once. "
            "A person can also restore it."
        )
    return "What lifts it: the cause gone, then a person restores it."


def _notice_for(group: list[Decision], case: Case | None, *, by=None):

    told = [
        d
        for d in group
        if d.status in (DecisionStatus.SCHEDULED, DecisionStatus.APPLIED)
        and (d.disruptive or d.action in (ActionKind.NOTIFY, ActionKind.REQUIRE_CLEANUP))
    ]
    if not told:
        return None
    emergency = any(d.emergency for d in told)
    severity = (
        Severity.EMERGENCY if emergency else max((d.severity for d in told), key=list(Severity.values).index)
    )
    customer = told[0].customer
    return notifications.notify(
        customer,
        subject_kind="action",
        subject_id=case.ref if case else f"event-{told[0].event_id}",
        case=case,
        urgency=URGENCY[severity],
        title=_notice_title(told),
        body=_notice_body(told),
        by=by,
        via="policy",
    )


def _notice_title(told: list[Decision]) -> str:
    units = ", ".join(d.unit.name for d in told[:3]) + ("..." if len(told) > 3 else "")
    if any(d.emergency for d in told):
        return f"We have contained {units} because it is attacking others"[:200]
    first = told[0]
    if not first.disruptive:
        return f"About {units}: {first.event.get_trigger_display().lower()}"[:200]
    return f"{ActionKind(first.action).label} {units} on {first.due_at:%d %b %H:%M} UTC unless resolved"[:200]


def _notice_body(told: list[Decision]) -> str:
    event = told[0].event
    lines = [f"We received a {event.get_trigger_display().lower()} ({_facts_words(event)})."]
    for d in told:
        if d.emergency:
            lines.append(f"{d.unit.name}: contained now. {d.why}")
        elif d.disruptive:
            lines.append(
                f"{d.unit.name}: {ActionKind(d.action).label.lower()} at {d.due_at:%Y-%m-%d %H:%M} UTC."
            )
        else:
            lines.append(f"{d.unit.name}: nothing is switched off.")
    untouched = {d.unit.parent for d in told if d.unit.parent is not None}
    for parent in untouched:
        lines.append(f"Only the units named are affected; the rest of {parent.name} keeps serving.")
    lines.append(_lift_words(event.trigger))
    return "\n".join(lines)


# ---------------------------------------------------------------- in force, and back


def _put_in_force(decision: Decision, *, by=None) -> None:
    state = UNIT_STATE.get(decision.action)
    if state:
        set_unit_state(
            decision.unit,
            state,
            reason=f"{ActionKind(decision.action).label}: decision {decision.pk}",
            by=by,
            actor_label="policy",
            via="policy",
        )


def _release(decision: Decision, *, reason: str, by=None) -> None:
    """Undo the unit's state, unless another decision in force still holds it."""
    state = UNIT_STATE.get(decision.action)
    if not state:
        return
    still = Decision.objects.filter(
        unit=decision.unit, status=DecisionStatus.APPLIED, action__in=list(UNIT_STATE)
    ).exclude(pk=decision.pk)
    if not still.exists():
        set_unit_state(decision.unit, UnitState.OK, reason=reason, by=by, actor_label="policy", via="policy")


def apply_decision(decision: Decision, *, by=None) -> Decision:
    """Put a scheduled action in force. Never before its due time: the grace period is the customer's."""
    now = clock.now()
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if decision.status != DecisionStatus.SCHEDULED:
            raise ServiceError(f"this action is {decision.get_status_display().lower()}, not scheduled")
        if decision.due_at and now < decision.due_at:
            raise ServiceError(
                f"the grace period runs until {decision.due_at:%Y-%m-%d %H:%M} UTC; the action waits for it"
            )
        unheard = _notice_unheard(decision)
        if unheard:
            decision.status = DecisionStatus.HELD
            decision.why += f" Held when its time came: {unheard}. A person decides."
            decision.save(update_fields=["status", "why"])
            events.decision_held(decision=decision, reason=unheard, by=by)
            _raise_decide_todo(decision, by=by)
            return decision
        decision.status, decision.applied_at = DecisionStatus.APPLIED, now
        decision.save(update_fields=["status", "applied_at"])
        _put_in_force(decision, by=by)
        events.decision_applied(decision=decision, by=by)
    return decision


def _notice_unheard(decision: Decision) -> str:
    """Why the notice cannot be said to have reached the customer, or "" when it did (or was acknowledged)."""

    notice = decision.notification
    if notice is None:
        return "no notice was given"
    if notice.status == NotificationStatus.ACKNOWLEDGED:
        return ""
    if not notice.attempts.filter(status__in=SUCCESSES).exists():
        return "no channel accepted the notice"
    if not has_working_channel(decision.customer):
        return "every address and number of the customer is now failing"
    return ""


def apply_due_decisions(limit: int = 500) -> int:
    """The recurring job: every scheduled action whose grace has ended is applied (or held, when its notice
    reached nobody). Answers how many it settled."""
    due = list(
        Decision.objects.filter(status=DecisionStatus.SCHEDULED, due_at__lte=clock.now())
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    applied = 0
    for pk in due:
        try:
            apply_decision(Decision(pk=pk))
            applied += 1
        except ServiceError:  # changed by a person meanwhile (delayed, overridden, lifted)
            continue
    return applied


def end_decision(decision: Decision, *, reason: str, by=None, via: str = "web") -> Decision:
    """Lift an action in force, or withdraw one that has not run yet. Restoring is this.

    By a person it breaks the rule's decision, so it needs the authority to override and is recorded as an
    override with its reason (the rules-to-fix report counts it, and it can be reversed); by the rules
    themselves (a clean re-scan, a payment) it is the rule's own way back."""
    if by is None:
        return _end(decision, reason=reason, by=None, via=via)
    require(by, Capability.OVERRIDE_RULES)
    reason = _reason(reason)
    with transaction.atomic():
        before = _snapshot(Decision.objects.select_for_update().get(pk=decision.pk))
        ended = _end(decision, reason=reason, by=by, via=via)
        _record_override(ended, kind=OverrideKind.END, by=by, reason=reason, before=before, via=via)
    return ended


def _end(decision: Decision, *, reason: str, by=None, via: str = "web") -> Decision:
    if not (reason or "").strip():
        raise ServiceError("say why", field="reason")
    now = clock.now()
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if decision.status == DecisionStatus.APPLIED:
            decision.status = DecisionStatus.LIFTED
        elif decision.status in OPEN_STATUSES:
            decision.status = DecisionStatus.WITHDRAWN
        else:
            raise ServiceError(f"this action is already {decision.get_status_display().lower()}")
        decision.ended_at, decision.end_reason = now, reason.strip()
        decision.save(update_fields=["status", "ended_at", "end_reason"])
        if decision.status == DecisionStatus.LIFTED:
            _release(decision, reason=f"lifted: {reason.strip()}", by=by)
            events.decision_lifted(decision=decision, reason=reason.strip(), by=by)
        else:
            events.decision_withdrawn(decision=decision, reason=reason.strip(), by=by)
        _stop_notice_if_nothing_left(decision, by=by)
    return decision


def _stop_notice_if_nothing_left(decision: Decision, *, by=None) -> None:

    if decision.notification_id is None or decision.status != DecisionStatus.WITHDRAWN:
        return
    pending = Decision.objects.filter(notification_id=decision.notification_id, status__in=LIVE_STATUSES)
    notice = decision.notification
    if not pending.exists() and notice.status == NotificationStatus.ACTIVE:
        notifications.cancel(
            notice, by=by, reason="nothing left to announce: the planned action was withdrawn"
        )


def _is_good_news(event: PolicyEvent) -> bool:
    facts = event.context.get("event", {})
    if event.trigger == Trigger.MALWARE_SCAN:
        return facts.get("infected") is False
    return event.trigger == Trigger.PAYMENT_OVERDUE and event.kind == "payment_received"


def _lift_on_good_news(event: PolicyEvent, *, by=None) -> None:
    """A clean re-scan lifts what scans and abuse reports put on its unit; a payment, what billing did."""
    if not _is_good_news(event):
        return
    if event.trigger == Trigger.MALWARE_SCAN:
        mine = Decision.objects.filter(unit=event.unit, event__trigger__in=LIFTED_BY_CLEAN_SCAN)
        reason = f"a re-scan of {event.unit.name} found it clean (policy event {event.pk})"
    else:
        mine = Decision.objects.filter(customer=event.customer, event__trigger=Trigger.PAYMENT_OVERDUE)
        reason = f"payment received (policy event {event.pk})"
    for decision in mine.filter(status__in=LIVE_STATUSES):
        end_decision(decision, reason=reason, via="policy")


# ---------------------------------------------------------------- people deciding


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
        return _schedule_with_notice(new, by=by)
    new.save()
    if new.status == DecisionStatus.APPLIED:
        _put_in_force(new, by=by)
    return new


def _schedule_with_notice(decision: Decision, *, by) -> Decision:
    """A disruptive decision no notice has announced yet: a notice now, and its severity's whole grace."""
    decision.status = DecisionStatus.SCHEDULED
    decision.due_at = clock.now() + notice_grace(decision.severity)
    decision.save(update_fields=["status", "due_at"])
    decision.notification = _notice_for([decision], decision.case, by=by)
    decision.save(update_fields=["notification"])
    return decision


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
            raise ServiceError("only an action that has not run yet can be delayed", field="kind")
        if until is None or (decision.due_at and until <= decision.due_at) or until <= clock.now():
            raise ServiceError("a delay needs a time later than the one planned", field="until")
        decision.due_at = until
        decision.save(update_fields=["due_at"])
        after = _snapshot(decision)
    else:
        if decision.status not in LIVE_STATUSES:
            raise ServiceError(f"this action is already {decision.get_status_display().lower()}")
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
            _release(decision, reason=f"overridden by {by}: {reason}", by=by)
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
        raise ServiceError("this override was already reversed")
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
                _end(replacement, reason=f"override reversed: {reason}", by=by, via=via)
        decision = Decision.objects.select_for_update().get(pk=override.decision_id)
        decision.status, decision.ended_at, decision.end_reason = override.before["status"], None, ""
        if decision.status == DecisionStatus.SCHEDULED:
            decision.due_at = max(datetime.fromisoformat(override.before["due_at"]), now)
        decision.save(update_fields=["status", "ended_at", "end_reason", "due_at"])
        if decision.status == DecisionStatus.APPLIED:
            _put_in_force(decision, by=by)
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
        raise ServiceError("only a held action or one waiting for approval can be decided")
    if not approve:
        return _end(decision, reason=f"rejected by {by}: {reason}", by=by, via=via)
    if decision.action == ActionKind.ASK_APPROVAL:
        raise ServiceError(
            "say which action to take instead: override it with do differently", field="approve"
        )
    if decision.status == DecisionStatus.HELD and not has_working_channel(decision.customer):
        raise ServiceError("still no working channel: fix a contact point first, or override with a reason")
    decision.decided_by, decision.why = by, decision.why + f" Approved by {by}: {reason}."
    decision.save(update_fields=["decided_by", "why"])
    _schedule_with_notice(decision, by=by)
    events.decision_made(decision=decision, by=by, reason=reason)
    return decision


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0 and minutes:
        return _plural(minutes // 1440, "day")
    if minutes % 60 == 0 and minutes:
        return _plural(minutes // 60, "hour")
    return _plural(minutes, "minute")


# ---------------------------------------------------------------- reading


def decisions_for_case(case: Case) -> list[Decision]:
    return list(
        case.decisions.select_related("unit", "rule", "decided_by", "replaces")
        .prefetch_related("overrides__agent")
        .order_by("created_at", "pk")
    )
