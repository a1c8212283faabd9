"""Priority as a number with its reasons, never a label.

This first version is a rule: a base per impact plus a rise with the time since the problem started
for the customer, capped, plus the customer's tier. The priority issue grows it (chasers, repeats,
history, overrides); keep every term here, in one place, each with the words an agent will read.
"""

from dataclasses import dataclass

from frontline.core import clock

# points at the start, points per hour the problem lasts, most points time can add.
# A service that is down outranks one that is degraded unless the degradation has lasted days; a question
# never outranks a broken service. A site down for five days reaches 400, beyond anything else.
IMPACT_CURVES = {
    "down": (100.0, 4.0, 300.0),
    "degraded": (40.0, 1.0, 120.0),
    "question": (10.0, 0.25, 40.0),
}
TIER_POINTS = {"standard": 0.0, "priority": 10.0, "critical": 20.0}
# A callback we promised and did not make: the customer waited by the phone for us.
MISSED_CALLBACK_POINTS = 60.0


@dataclass(frozen=True)
class Term:
    name: str
    points: float
    reason: str

    def as_dict(self) -> dict:
        return {"term": self.name, "points": round(self.points, 1), "reason": self.reason}


def _age(hours: float) -> str:
    if hours < 1:
        return f"{int(hours * 60)} minutes"
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{hours / 24:.1f} days"


def compute(
    *, impact: str, tier: str, problem_started_at, is_open: bool, now=None, callback_due_at=None
) -> tuple[float, list[dict]]:
    now = now or clock.now()
    base, per_hour, cap = IMPACT_CURVES[impact]
    terms = [Term("impact", base, f"impact: {impact}")]
    if is_open:
        hours = max((now - problem_started_at).total_seconds() / 3600, 0.0)
        terms.append(
            Term("elapsed", min(hours * per_hour, cap), f"problem started {_age(hours)} ago for the customer")
        )
    if is_open and callback_due_at is not None and callback_due_at < now:
        terms.append(
            Term(
                "missed_callback",
                MISSED_CALLBACK_POINTS,
                f"we promised to call back by {callback_due_at:%d %b %H:%M} and have not",
            )
        )
    if TIER_POINTS.get(tier):
        terms.append(Term("tier", TIER_POINTS[tier], f"{tier} tier customer"))
    score = round(sum(term.points for term in terms), 2)
    return score, [term.as_dict() for term in terms]


def compute_for(case, now=None) -> tuple[float, list[dict]]:
    return compute(
        impact=case.impact,
        tier=case.customer.tier,
        problem_started_at=case.problem_started_at,
        is_open=case.is_open,
        now=now,
        callback_due_at=case.callback_due_at,
    )
