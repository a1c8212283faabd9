"""Ladders: the rungs a notification climbs (channel, wait), the defaults for each kind of notice and
urgency, and how long a ladder takes to reach a person by voice or phone."""

from datetime import timedelta

from django.db.models import Q

from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.notifications.models import (
    Ladder,
    RungChannel,
    Urgency,
)

# The ladders a new installation starts with; the provider edits them as data (admin).
DEFAULT_LADDERS = [
    {
        "name": "Critical: email, SMS at 15 min, call at 1 h, a person at 4 h",
        "urgency": Urgency.CRITICAL,
        "steps": [
            {"channel": "email", "wait_minutes": 0},
            {"channel": "sms", "wait_minutes": 15},
            {"channel": "voice", "wait_minutes": 45},
            {"channel": "person", "wait_minutes": 180},
        ],
    },
    {
        "name": "Urgent: email, SMS at 1 h, a person at 4 h",
        "urgency": Urgency.URGENT,
        "steps": [
            {"channel": "email", "wait_minutes": 0},
            {"channel": "sms", "wait_minutes": 60},
            {"channel": "person", "wait_minutes": 180},
        ],
    },
    {
        "name": "Routine: email, again after a day",
        "urgency": Urgency.ROUTINE,
        "steps": [{"channel": "email", "wait_minutes": 0}, {"channel": "email", "wait_minutes": 1440}],
    },
]


def validate_steps(steps) -> list[dict]:
    """A ladder's rungs, checked: a list of {"channel", "wait_minutes"[, "contacts"]}."""
    if not isinstance(steps, list) or not steps:
        raise ServiceError("a ladder needs at least one rung", field="steps")
    clean = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise ServiceError(f"rung {number} must be an object", field="steps")
        channel = step.get("channel")
        if channel not in RungChannel.values:
            raise ServiceError(
                f"rung {number}: channel must be one of {', '.join(RungChannel.values)}; got {channel!r}",
                field="steps",
            )
        wait = step.get("wait_minutes", 0)
        if not isinstance(wait, int | float) or wait < 0:
            raise ServiceError(f"rung {number}: wait_minutes must be a number ≥ 0", field="steps")
        contacts = step.get("contacts", "working")
        if contacts not in ("working", "verified"):
            raise ServiceError(f"rung {number}: contacts must be 'working' or 'verified'", field="steps")
        clean.append({"channel": channel, "wait_minutes": wait, "contacts": contacts})
    return clean


def ensure_default_ladders() -> None:
    for ladder in DEFAULT_LADDERS:
        Ladder.objects.get_or_create(
            name=ladder["name"],
            defaults={
                "urgency": ladder["urgency"],
                "steps": validate_steps(ladder["steps"]),
                "created_at": clock.now(),
            },
        )


def choose_ladder(subject_kind: str, urgency: str) -> Ladder:
    """The most specific active ladder for the subject kind and urgency (blank fields match anything)."""
    candidates = Ladder.objects.filter(is_active=True).filter(
        Q(subject_kind=subject_kind) | Q(subject_kind=""), Q(urgency=urgency) | Q(urgency="")
    )
    best = max(candidates, key=lambda one: (bool(one.subject_kind), bool(one.urgency), -one.pk), default=None)
    if best is None:
        ensure_default_ladders()
        return choose_ladder(subject_kind, urgency)
    return best


def time_to_human_rung(ladder: Ladder) -> timedelta | None:
    """How long the ladder takes to reach its staff-call rung (None: it has none). The policy engine will
    refuse a grace period shorter than this."""
    elapsed = 0.0
    for step in ladder.steps:
        elapsed += step["wait_minutes"]
        if step["channel"] == RungChannel.PERSON:
            return timedelta(minutes=elapsed)
    return None
