"""The guardrails every rule works within, whatever it says: notice before a disruptive action, the grace
each severity gives, which triggers may ever act at once, and what counts as open or in force."""

from datetime import timedelta

from frontline.customers.models import UnitState
from frontline.notifications.services import choose_ladder, time_to_human_rung
from frontline.policy.models import (
    ActionKind,
    DecisionStatus,
    Severity,
    Trigger,
)

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
