"""The events the policy app writes: one function per kind, its payload keys fixed here.

Every decision event carries the same keys (`_decision`), so the case timeline shows any of them alike.
"""

from frontline.events.models import EVENT_KINDS, EventKind
from frontline.events.services import record

# How the engine signs what it does on its own: the actor's label and the "via" of its acts and cases.
ENGINE = "policy"


def rule_changed(*, rule, changed: list[str], reason: str, by, via: str) -> None:
    """A new version of a rule. data: rule_id, rule (its name), version, changed (field names), reason."""
    record(
        EventKind.RULE_CHANGED,
        actor=by,
        via=via,
        rule_id=rule.pk,
        rule=rule.name,
        version=rule.version,
        changed=changed,
        reason=reason,
    )


def event_unmatched(*, event, by) -> None:
    """A policy event that names no unit we know. data: event_id, trigger, problem."""
    record(
        EventKind.POLICY_EVENT_UNMATCHED,
        actor=by,
        actor_label=ENGINE,
        event_id=event.pk,
        trigger=event.trigger,
        problem=event.problem,
    )


def event_received(*, event, fired: list[str], by) -> None:
    """data: event_id, trigger, kind (the event's own kind: worm, scan...), fired (names of the rules)."""
    record(
        EventKind.POLICY_EVENT_RECEIVED,
        actor=by,
        actor_label=event.source,
        customer=event.customer,
        unit=event.unit,
        event_id=event.pk,
        trigger=event.trigger,
        kind=event.kind,
        fired=fired,
    )


def _decision(decision, kind: str, *, by, **extra) -> None:
    """data: decision_id, action, status, unit_name, rule, version, due_at, why; and reason where a person
    or a lift gave one, widened_from on a widening."""
    record(
        kind,
        actor=by,
        actor_label="" if by else f"rule:{decision.rule_id}" if decision.rule_id else ENGINE,
        case=decision.case,
        customer=decision.customer,
        unit=decision.unit,
        decision_id=decision.pk,
        action=decision.action,
        status=decision.status,
        unit_name=decision.unit.name,
        rule=decision.rule.name if decision.rule_id else "",
        version=decision.rule_version,
        due_at=decision.due_at.isoformat() if decision.due_at else None,
        why=decision.why,
        **extra,
    )


def decision_made(*, decision, by, reason: str = "") -> None:
    _decision(decision, EventKind.DECISION_MADE, by=by, **({"reason": reason} if reason else {}))


def decision_held(*, decision, reason: str, by) -> None:
    _decision(decision, EventKind.DECISION_HELD, by=by, reason=reason)


def decision_applied(*, decision, by) -> None:
    _decision(decision, EventKind.DECISION_APPLIED, by=by)


def decision_lifted(*, decision, reason: str, by) -> None:
    _decision(decision, EventKind.DECISION_LIFTED, by=by, reason=reason)


def decision_withdrawn(*, decision, reason: str, by) -> None:
    _decision(decision, EventKind.DECISION_WITHDRAWN, by=by, reason=reason)


def decision_widened(*, decision, widened_from, reason: str, by) -> None:
    _decision(decision, EventKind.DECISION_WIDENED, by=by, reason=reason, widened_from=widened_from.pk)


def _override(kind: str, override, *, by, via: str, **extra) -> None:
    """data: override_id, kind (the override's), and what each kind adds."""
    record(
        kind,
        actor=by,
        via=via,
        case=override.case,
        customer=override.customer,
        override_id=override.pk,
        kind=override.kind,
        **extra,
    )


def override_recorded(*, override, decision, by, via: str) -> None:
    """data: override_id, kind, decision_id, reason, before, after, rule."""
    _override(
        EventKind.OVERRIDE_RECORDED,
        override,
        by=by,
        via=via,
        unit=decision.unit,
        decision_id=decision.pk,
        reason=override.reason,
        before=override.before,
        after=override.after,
        rule=decision.rule.name if decision.rule_id else "",
    )


def goodwill_granted(*, override, goodwill: str, value, allowance_left, by, via: str) -> None:
    """An override of kind goodwill, with no decision. data: override_id, kind, goodwill (what was given),
    value, reason, allowance_left (this month's, after it)."""
    _override(
        EventKind.OVERRIDE_RECORDED,
        override,
        by=by,
        via=via,
        goodwill=goodwill,
        value=str(value),
        reason=override.reason,
        allowance_left=str(allowance_left),
    )


def override_reversed(*, override, reason: str, by, via: str) -> None:
    """data: override_id, kind, reason."""
    _override(EventKind.OVERRIDE_REVERSED, override, by=by, via=via, reason=reason)


RESCAN_REQUESTED = EVENT_KINDS.declare("policy.rescan_requested", "Re-scan requested")


def rescan_requested(*, decision, person, words: str, via: str) -> None:
    """The customer says a held unit is clean and asks us to scan it again (the portal).
    data: decision_id, unit_name, words (what they said they did)."""
    record(
        RESCAN_REQUESTED,
        actor_person=person,
        actor_label="" if person else "the customer",
        via=via,
        case=decision.case,
        customer=decision.customer,
        unit=decision.unit,
        decision_id=decision.pk,
        unit_name=decision.unit.name,
        words=words,
    )
