"""Failure demand: contacts and cases that exist because we failed. One place, so the measures can grow it.

For now two rules:
- a chaser: a contact on an open case after we were silent longer than its response clock allowed;
- a repeat: a new case about a unit whose problem we closed in the last 30 days.
A missed callback promise (cases/calls.check_callback) is the third kind, recorded where it happens.
"""

from datetime import timedelta

from frontline.cases import events
from frontline.cases.models import Case, CaseStatus, DemandType

REPEAT_WINDOW = timedelta(days=30)


def is_chaser(case: Case, contact_at) -> bool:
    return case.is_open and case.response_due_at is not None and contact_at > case.response_due_at


def record_chaser(case: Case, message, *, by=None, via: str = "") -> None:
    """Count the chaser (a message stored with is_chaser) on the case, whose changed fields the caller
    saves, and record it."""
    overdue = message.created_at - case.response_due_at
    case.chaser_count += 1
    mark_failure(case, "chased after our silence")
    events.chaser_recorded(
        case=case, message=message, overdue_minutes=round(overdue.total_seconds() / 60), by=by, via=via
    )


def mark_failure(case: Case, reason: str) -> None:
    """The case exists, or goes on, because we failed; the first reason stands."""
    if case.demand_type != DemandType.FAILURE:
        case.demand_type = DemandType.FAILURE
        case.failure_reason = reason


def find_repeat(case: Case, unit_ids: list[int] | None = None) -> Case | None:
    """The latest case on one of this case's units that we resolved or closed in the 30 days before it.
    `unit_ids`: its units, when the caller has them (the case was just opened with them)."""
    units = list(case.affected_units.values_list("pk", flat=True)) if unit_ids is None else unit_ids
    if not units:
        return None
    since = case.created_at - REPEAT_WINDOW
    earlier = (
        Case.objects.filter(affected_units__in=units, status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])
        .exclude(pk=case.pk)
        .exclude(merged_into__isnull=False)
        .filter(created_at__lt=case.created_at)
    )
    finished = [
        c
        for c in earlier.distinct().order_by("-created_at")[:20]
        if (c.resolved_at or c.closed_at) and (c.resolved_at or c.closed_at) >= since
    ]
    return finished[0] if finished else None


def record_repeat(case: Case, earlier: Case, *, via: str = "") -> None:
    """The caller saves the case's repeat_of, demand_type and failure_reason."""
    case.repeat_of = earlier
    mark_failure(case, f"repeat of {earlier.ref}")
    events.repeat_recorded(case=case, earlier=earlier, via=via)
