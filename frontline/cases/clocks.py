"""Service clocks, measured on the customer's clock: first response, next response, resolution.

- First response runs from the customer's first contact (or our detection, for a case we opened) to our
  first answer.
- Next response runs from a contact of theirs we have not answered to our answer. A second message before we
  answer does not restart it: they have been waiting since the first.
- Resolution runs from when the problem started for them to when we resolve it. Time spent waiting on the
  customer is taken off only when we had actually asked them something (our last message before the wait
  held a question); "waiting on customer" set without a question does not stop the clock. Time in
  "resolved" that ended in a reopen counts: the problem was never gone for them.

Targets come per tier and impact, with per-plan rows where a plan promises otherwise (TARGETS, or the
FRONTLINE_CLOCK_TARGETS setting merged over it). A team that opts in (Team.clocks_in_business_hours) counts
only its business hours, without its country's public holidays; the critical tier always runs around the
clock.
"""

import datetime
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from frontline.cases.models import CaseStatus, Direction, Message
from frontline.core import clock
from frontline.events.models import Event, EventKind

H = 3600
# (first response, next response, resolution) in seconds, per impact. Keys are "tier" or "tier/plan".
TARGETS = {
    "standard": {
        "down": (1 * H, 2 * H, 8 * H),
        "degraded": (4 * H, 8 * H, 72 * H),
        "question": (8 * H, 24 * H, 120 * H),
    },
    "standard/starter": {
        "down": (2 * H, 4 * H, 24 * H),
        "degraded": (8 * H, 24 * H, 120 * H),
        "question": (24 * H, 48 * H, 240 * H),
    },
    "priority": {
        "down": (H // 2, 1 * H, 4 * H),
        "degraded": (2 * H, 4 * H, 24 * H),
        "question": (4 * H, 8 * H, 72 * H),
    },
    "critical": {
        "down": (H // 4, H // 2, 4 * H),
        "degraded": (1 * H, 2 * H, 12 * H),
        "question": (2 * H, 4 * H, 24 * H),
    },
}


@cache
def _targets() -> dict:
    merged = dict(TARGETS)
    merged.update(getattr(settings, "FRONTLINE_CLOCK_TARGETS", {}) or {})
    return merged


def targets_for(tier: str, plan: str, impact: str) -> tuple[int, int, int]:
    table = _targets()
    row = table.get(f"{tier}/{plan}") or table.get(tier) or table["standard"]
    return tuple(row[impact])


def team_for_clocks(case):
    """The team whose hours the case's clocks keep: the owner's, when it opted in and the tier allows."""
    if case.customer.tier == "critical" or not case.assignee_id:
        return None
    team = case.assignee.team
    return team if team is not None and team.clocks_in_business_hours else None


def working_seconds(team, start: datetime.datetime, end: datetime.datetime) -> float:
    if end <= start:
        return 0.0
    if team is None:
        return (end - start).total_seconds()
    return team.open_seconds_between(start, end)


def add_working_time(team, start: datetime.datetime, seconds: float) -> datetime.datetime:
    if team is None:
        return start + datetime.timedelta(seconds=seconds)
    return team.add_open_time(start, seconds)


def response_due(
    *, tier: str, plan: str, impact: str, contact_at, first: bool, team=None
) -> datetime.datetime:
    """When our answer to a contact at `contact_at` is due (the first answer's target, or the next's)."""
    first_target, next_target, _ = targets_for(tier, plan, impact)
    return add_working_time(team, contact_at, first_target if first else next_target)


@dataclass(frozen=True)
class Clock:
    name: str  # "first response", "next response", "resolution"
    state: str  # "running", "paused", "met", "breached", "stopped"
    target_seconds: int
    elapsed_seconds: float
    started_at: datetime.datetime | None
    due_at: datetime.datetime | None
    note: str = ""

    @property
    def remaining_seconds(self) -> float:
        return self.target_seconds - self.elapsed_seconds

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "state": self.state,
            "target_minutes": round(self.target_seconds / 60),
            "elapsed_minutes": round(self.elapsed_seconds / 60),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "note": self.note,
        }


def _asked_a_question(body: str) -> bool:
    return "?" in body


def _waiting_intervals(case, end) -> tuple[list[tuple], list[str]]:
    """Intervals spent waiting on the customer after we asked them something; and notes on waits that
    did not pause because we had asked nothing."""

    changes = list(
        Event.objects.filter(case=case, kind=EventKind.STATUS_CHANGED)
        .order_by("at", "pk")
        .values("at", "data")
    )
    outbound = list(
        Message.objects.filter(case=case, direction=Direction.OUTBOUND)
        .order_by("created_at", "pk")
        .values_list("created_at", "body_text")
    )
    paused, notes, since = [], [], None
    for change in changes:
        status = change["data"].get("status")
        if status == CaseStatus.WAITING_CUSTOMER and since is None:
            asked = [body for at, body in outbound if at <= change["at"]]
            if asked and _asked_a_question(asked[-1]):
                since = change["at"]
            else:
                notes.append(
                    f"waiting on customer from {change['at']:%d %b %H:%M} did not pause: we asked nothing"
                )
        elif status != CaseStatus.WAITING_CUSTOMER and since is not None:
            paused.append((since, change["at"]))
            since = None
    if since is not None:
        paused.append((since, end))
    return paused, notes


def case_clocks(case, now=None) -> list[Clock]:
    """The three clocks of a case as they stand now, for the case page and the API."""
    now = now or clock.now()
    customer = case.customer
    first_target, next_target, resolution_target = targets_for(customer.tier, customer.plan, case.impact)
    team = team_for_clocks(case)
    note = f"counting {team.name}'s business hours" if team else ""
    clocks = []

    answered = case.first_response_at
    elapsed = working_seconds(team, case.created_at, answered or now)
    state = (
        ("met" if elapsed <= first_target else "breached")
        if answered
        else ("running" if elapsed <= first_target else "breached")
    )
    clocks.append(
        Clock(
            "first response",
            state,
            first_target,
            elapsed,
            case.created_at,
            None if answered else add_working_time(team, case.created_at, first_target),
            note,
        )
    )

    waiting = case.last_customer_contact_at
    unanswered = bool(
        answered
        and case.is_open
        and waiting
        and (case.last_provider_contact_at is None or case.last_provider_contact_at < waiting)
    )
    if unanswered:
        since = _first_unanswered_contact(case) or waiting
        elapsed = working_seconds(team, since, now)
        clocks.append(
            Clock(
                "next response",
                "running" if elapsed <= next_target else "breached",
                next_target,
                elapsed,
                since,
                add_working_time(team, since, next_target),
                note,
            )
        )

    end = (
        case.resolved_at
        if not case.is_open and case.resolved_at
        else (case.closed_at if not case.is_open else now)
    )
    end = end or now
    paused, pause_notes = _waiting_intervals(case, end)
    elapsed = working_seconds(team, case.problem_started_at, end) - sum(
        working_seconds(team, a, min(b, end)) for a, b in paused
    )
    is_paused = case.is_open and bool(paused) and paused[-1][1] == end
    if not case.is_open:
        state = "met" if elapsed <= resolution_target else "breached"
    elif is_paused:
        state = "paused"
    else:
        state = "running" if elapsed <= resolution_target else "breached"
    notes = (
        ([note] if note else [])
        + pause_notes
        + (["paused: we asked the customer and wait for the answer"] if is_paused else [])
    )
    clocks.append(
        Clock(
            "resolution",
            state,
            resolution_target,
            max(elapsed, 0.0),
            case.problem_started_at,
            None
            if not case.is_open or is_paused
            else add_working_time(team, now, resolution_target - elapsed),
            "; ".join(notes),
        )
    )
    return clocks


def _first_unanswered_contact(case) -> datetime.datetime | None:
    """The customer's first contact since our last answer: they have been waiting since then."""

    inbound = case.messages.filter(direction=Direction.INBOUND)
    if case.last_provider_contact_at:
        inbound = inbound.filter(created_at__gt=case.last_provider_contact_at)
    return inbound.order_by("created_at", "pk").values_list("created_at", flat=True).first()
