"""Decisions from proposal to their end: a rule's proposal on the smallest unit, the cleanup case and the
notice that go with a disruptive one, putting it in force when due, and lifting or withdrawing it."""

from functools import partial

from django.db import transaction
from django.db.models import Prefetch

from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.errors import Conflict, ServiceError
from frontline.customers.models import ServiceUnit, UnitState
from frontline.customers.services import has_working_channel, set_unit_state
from frontline.delivery.models import SUCCESSES
from frontline.notifications import services as notifications
from frontline.notifications.models import NotificationStatus
from frontline.policy import engine, events
from frontline.policy.guardrails import (
    LIFTED_BY_CLEAN_SCAN,
    LIVE_STATUSES,
    OPEN_STATUSES,
    UNIT_STATE,
    URGENCY,
    notice_grace,
)
from frontline.policy.models import (
    DISRUPTIVE,
    ActionKind,
    Decision,
    DecisionStatus,
    EventSource,
    Override,
    PolicyEvent,
    Severity,
    Trigger,
)
from frontline.policy.wording import (
    cleanup_case,
    cleanup_topic,
    notice,
    why,
)
from frontline.routing import services as routing
from frontline.todos.models import ToDoKind
from frontline.todos.services import raise_todo


def propose(event: PolicyEvent, unit: ServiceUnit, rule: engine.CompiledRule) -> Decision:
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
    if rule.action not in DISRUPTIVE:
        decision.status = (
            DecisionStatus.PENDING_APPROVAL
            if rule.action == ActionKind.ASK_APPROVAL
            else DecisionStatus.APPLIED
        )
        decision.applied_at = now if decision.status == DecisionStatus.APPLIED else None
        decision.why = why(decision, event, outcome="quiet")
    elif rule.severity == Severity.EMERGENCY and not _emergency_doubt(event):
        decision.emergency = True
        decision.status = DecisionStatus.APPLIED
        decision.applied_at = decision.due_at = now
        decision.why = why(decision, event, outcome="emergency")
    elif not event.context["customer"]["working_channel"]:
        decision.status = DecisionStatus.HELD
        decision.why = why(decision, event, outcome="held")
    else:
        grace = notice_grace(rule.severity, rule.grace_minutes)
        decision.status = DecisionStatus.SCHEDULED
        decision.due_at = now + grace
        doubt = _emergency_doubt(event) if rule.severity == Severity.EMERGENCY else ""
        decision.why = why(decision, event, outcome="scheduled", doubt=doubt, grace=grace, now=now)
    decision.save()
    if decision.status == DecisionStatus.APPLIED and decision.action in DISRUPTIVE:
        put_in_force(decision, by=None)
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


def follow_up(decisions: list[Decision], *, by=None) -> None:
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
                raise_decide_todo(decision, by=by)


def raise_decide_todo(decision: Decision, *, by=None) -> None:
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
    subject, body = cleanup_case(needs_case)
    case = cases.open_case(
        customer=first.customer,
        subject=subject,
        body=body,
        channel="api",
        impact="degraded",
        units=units,
        topic=cleanup_topic(first.event.trigger),
        sender=events.ENGINE,
        via=events.ENGINE,
        # the same routing as every case: the topic (the router's guess when none is set), an owner, the score
        triage=partial(routing.triage_unwritten, via=events.ENGINE),
    )
    return case


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
    title, body = notice(told)
    return notifications.notify(
        customer,
        subject_kind="action",
        subject_id=case.ref if case else f"event-{told[0].event_id}",
        case=case,
        urgency=URGENCY[severity],
        title=title,
        body=body,
        by=by,
        via=events.ENGINE,
    )


def put_in_force(decision: Decision, *, by=None) -> None:
    state = UNIT_STATE.get(decision.action)
    if state:
        set_unit_state(
            decision.unit,
            state,
            reason=f"{ActionKind(decision.action).label}: decision {decision.pk}",
            by=by,
            actor_label=events.ENGINE,
            via=events.ENGINE,
        )


def release(decision: Decision, *, reason: str, by=None) -> None:
    """Undo the unit's state, unless another decision in force still holds it."""
    state = UNIT_STATE.get(decision.action)
    if not state:
        return
    still = Decision.objects.filter(
        unit=decision.unit, status=DecisionStatus.APPLIED, action__in=list(UNIT_STATE)
    ).exclude(pk=decision.pk)
    if not still.exists():
        set_unit_state(
            decision.unit, UnitState.OK, reason=reason, by=by, actor_label=events.ENGINE, via=events.ENGINE
        )


def apply_decision(decision: Decision, *, by=None) -> Decision:
    """Put a scheduled action in force. Never before its due time: the grace period is the customer's."""
    now = clock.now()
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if decision.status != DecisionStatus.SCHEDULED:
            raise Conflict(f"this action is {decision.get_status_display().lower()}, not scheduled")
        if decision.due_at and now < decision.due_at:
            raise Conflict(
                f"the grace period runs until {decision.due_at:%Y-%m-%d %H:%M} UTC; the action waits for it"
            )
        unheard = _notice_unheard(decision)
        if unheard:
            decision.status = DecisionStatus.HELD
            decision.why += f" Held when its time came: {unheard}. A person decides."
            decision.save(update_fields=["status", "why"])
            events.decision_held(decision=decision, reason=unheard, by=by)
            raise_decide_todo(decision, by=by)
            return decision
        decision.status, decision.applied_at = DecisionStatus.APPLIED, now
        decision.save(update_fields=["status", "applied_at"])
        put_in_force(decision, by=by)
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
        except Conflict:  # a person changed it meanwhile (delayed, lifted); other refusals surface
            continue
    return applied


def end(decision: Decision, *, reason: str, by=None, via: str = "web") -> Decision:
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
            raise Conflict(f"this action is already {decision.get_status_display().lower()}")
        decision.ended_at, decision.end_reason = now, reason.strip()
        decision.save(update_fields=["status", "ended_at", "end_reason"])
        if decision.status == DecisionStatus.LIFTED:
            release(decision, reason=f"lifted: {reason.strip()}", by=by)
            events.decision_lifted(decision=decision, reason=reason.strip(), by=by)
        else:
            events.decision_withdrawn(decision=decision, reason=reason.strip(), by=by)
        stop_notice_if_nothing_left(decision, by=by)
    return decision


def stop_notice_if_nothing_left(decision: Decision, *, by=None) -> None:

    if decision.notification_id is None or decision.status != DecisionStatus.WITHDRAWN:
        return
    pending = Decision.objects.filter(notification_id=decision.notification_id, status__in=LIVE_STATUSES)
    notice = decision.notification
    if not pending.exists() and notice.status == NotificationStatus.ACTIVE:
        notifications.cancel(
            notice, by=by, reason="nothing left to announce: the planned action was withdrawn"
        )


def is_good_news(event: PolicyEvent) -> bool:
    facts = event.context.get("event", {})
    if event.trigger == Trigger.MALWARE_SCAN:
        return facts.get("infected") is False
    return event.trigger == Trigger.PAYMENT_OVERDUE and event.kind == "payment_received"


def lift_on_good_news(event: PolicyEvent, *, by=None) -> None:
    """A clean re-scan lifts what scans and abuse reports put on its unit; a payment, what billing did."""
    if not is_good_news(event):
        return
    if event.trigger == Trigger.MALWARE_SCAN:
        mine = Decision.objects.filter(unit=event.unit, event__trigger__in=LIFTED_BY_CLEAN_SCAN)
        reason = f"a re-scan of {event.unit.name} found it clean (policy event {event.pk})"
    else:
        mine = Decision.objects.filter(customer=event.customer, event__trigger=Trigger.PAYMENT_OVERDUE)
        reason = f"payment received (policy event {event.pk})"
    for decision in mine.filter(status__in=LIVE_STATUSES):
        end(decision, reason=reason, by=None, via=events.ENGINE)


def schedule_with_notice(decision: Decision, *, by) -> Decision:
    """A disruptive decision no notice has announced yet: a notice now, and its severity's whole grace."""
    decision.status = DecisionStatus.SCHEDULED
    decision.due_at = clock.now() + notice_grace(decision.severity)
    decision.save(update_fields=["status", "due_at"])
    decision.notification = _notice_for([decision], decision.case, by=by)
    decision.save(update_fields=["notification"])
    return decision


def decisions_for_case(case: Case) -> list[Decision]:
    """Every decision on the case with what the page and the API show of it, in a fixed number of queries
    however many there are: read each one's overrides with `overrides.all()`, which keeps the prefetch."""
    overrides = Override.objects.select_related("agent", "reversed_by").order_by("pk")
    return list(
        case.decisions.select_related("unit", "rule", "decided_by", "replaces", "case")
        .prefetch_related(Prefetch("overrides", queryset=overrides))
        .order_by("created_at", "pk")
    )
