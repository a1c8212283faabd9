"""Priority as a number with its reasons, never a label.

The score is a sum of terms, each with the words an agent reads on the case: how bad (impact), for how
many (the end users and sites behind the affected units), for how long on the customer's clock, how long
since they last heard from us, whether we have failed them on this problem already (chasers, a repeat, a
missed callback), who they are to us (tenure, value, failures suffered lately, tier), and a person's
override. Time only ever adds points while nothing else changes, so a problem left alone climbs until
somebody acts. Without a person's override, a question never outranks a service that is down: its score
stops one point below a down service's first minute (the "ceiling" term says so when it applies).

Every weight lives in DEFAULT_WEIGHTS; a provider changes them with the FRONTLINE_PRIORITY_WEIGHTS
setting (a dict merged over these defaults). `compute` is pure: it takes the facts and a time, so the
periodic job can score a million cases without a query per case.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection

from frontline.cases.models import Case, DemandType
from frontline.core import clock, rows

DEFAULT_WEIGHTS = {
    # impact: (points at the start, points per hour the problem lasts, most points time can add).
    # A service that is down outranks one that is degraded unless the degradation has lasted days; a question
    # never outranks a broken service. A site down for five days reaches 400, beyond anything else.
    "curves": {
        "down": [100.0, 4.0, 300.0],
        "degraded": [40.0, 1.0, 120.0],
        "question": [10.0, 0.25, 30.0],
    },
    # Points per tenfold of the people and sites behind the affected units (1 -> 0, 10 -> 15, 1,000 -> 45).
    "reach_per_decade": 15.0,
    "reach_cap": 45.0,
    # The customer wrote and we have not answered: points per hour of our silence, and the most it adds.
    "silence_per_hour": 2.0,
    "silence_cap": 20.0,
    # Failure demand: the case exists or grew because we failed. Chasers count each.
    "failure_demand": 20.0,
    "per_chaser": 25.0,
    "chaser_cap": 75.0,
    "repeat": 40.0,
    "missed_callback": 60.0,
    # Who they are to us: a point per year with us, points for value, points per failure suffered lately.
    "tenure_per_year": 1.0,
    "tenure_cap": 15.0,
    "value_per_decade": 10.0,  # per tenfold of monthly value above 10 a month
    "value_cap": 20.0,
    "per_recent_failure": 10.0,  # failure-demand cases of the last 90 days, this one aside
    "recent_failure_cap": 30.0,
    "tiers": {"standard": 0.0, "priority": 10.0, "critical": 20.0},
    # Tenure, value, recent failures and tier together.
    "customer_cap": 35.0,
}


@cache
def weights() -> dict:
    merged = dict(DEFAULT_WEIGHTS)
    merged.update(getattr(settings, "FRONTLINE_PRIORITY_WEIGHTS", {}) or {})
    return merged


@dataclass
class Facts:
    """What the score is computed from; every field is on the case or its customer, nothing is queried."""

    impact: str
    problem_started_at: datetime
    is_open: bool = True
    tier: str = "standard"
    reach: int = 0
    awaiting_answer_since: datetime | None = None  # their first contact we have not answered
    demand_type: str = "value"
    failure_reason: str = ""
    chaser_count: int = 0
    repeat_of: str = ""  # the earlier case's reference, when this is a repeat
    callback_due_at: datetime | None = None
    customer_since: date | None = None
    monthly_value: float = 0.0
    recent_failures: int = 0
    override_points: float | None = None
    override_reason: str = ""
    override_until: datetime | None = None
    override_by: str = ""
    terms: list = field(default_factory=list)


def _term(name: str, points: float, reason) -> dict:
    # `reason` is a function: its words are made only when the score is explained.
    return {"term": name, "points": round(points, 1), "reason": reason}


def _age(hours: float) -> str:
    if hours < 1:
        return f"{int(hours * 60)} minutes"
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{hours / 24:.1f} days"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def compute(facts: Facts, now: datetime | None = None, *, explain: bool = True) -> tuple[float, list[dict]]:
    """The score and its explanation: a list of terms, largest first, that add up to the score. Without
    `explain` the terms carry no words (the periodic job scores a million cases and words only those it
    stores). Times are all aware, or all naive UTC."""
    now = now or clock.now()
    w = weights()
    base, per_hour, cap = w["curves"][facts.impact]
    terms = [_term("impact", base, lambda: f"impact: {facts.impact}")]
    if facts.is_open:
        hours = max((now - facts.problem_started_at).total_seconds() / 3600, 0.0)
        terms.append(
            _term(
                "elapsed",
                min(hours * per_hour, cap),
                lambda: f"problem started {_age(hours)} ago for the customer",
            )
        )
        if facts.reach > 1:
            points = min(w["reach_per_decade"] * math.log10(facts.reach), w["reach_cap"])
            terms.append(
                _term(
                    "reach", points, lambda: f"{facts.reach:,} end users or sites behind the affected units"
                )
            )
        if facts.awaiting_answer_since:  # from their first contact we left unanswered: a chaser is no answer
            silent = max((now - facts.awaiting_answer_since).total_seconds() / 3600, 0.0)
            points = min(silent * w["silence_per_hour"], w["silence_cap"])
            if points >= 0.1:
                terms.append(
                    _term("silence", points, lambda: f"waiting {_age(silent)} for an answer from us")
                )
        if facts.callback_due_at is not None and facts.callback_due_at < now:
            terms.append(
                _term(
                    "missed_callback",
                    w["missed_callback"],
                    lambda: f"we promised to call back by {facts.callback_due_at:%d %b %H:%M} and have not",
                )
            )
    if facts.demand_type == "failure" and not facts.chaser_count and not facts.repeat_of:
        # a chaser and a repeat are failure demand with terms of their own: counted there, once
        terms.append(
            _term(
                "failure_demand",
                w["failure_demand"],
                lambda: f"failure demand: {facts.failure_reason or 'our failure'}",
            )
        )
    if facts.chaser_count:
        points = min(facts.chaser_count * w["per_chaser"], w["chaser_cap"])
        terms.append(
            _term(
                "chasers",
                points,
                lambda: f"chased us {_plural(facts.chaser_count, 'time')} after we went quiet",
            )
        )
    if facts.repeat_of:
        terms.append(
            _term(
                "repeat", w["repeat"], lambda: f"the same unit's problem we closed lately ({facts.repeat_of})"
            )
        )
    customer_terms: list[dict] = []
    if facts.customer_since:
        years = max((now.date() - facts.customer_since).days / 365.25, 0.0)
        if years >= 1:
            points = min(years * w["tenure_per_year"], w["tenure_cap"])
            customer_terms.append(
                _term("tenure", points, lambda: f"customer for {_plural(int(years), 'year')}")
            )
    if facts.monthly_value > 10:
        points = min(w["value_per_decade"] * math.log10(facts.monthly_value / 10), w["value_cap"])
        if points >= 0.1:
            customer_terms.append(_term("value", points, lambda: f"pays {facts.monthly_value:,.0f} a month"))
    if facts.recent_failures:
        points = min(facts.recent_failures * w["per_recent_failure"], w["recent_failure_cap"])
        customer_terms.append(
            _term(
                "recent_failures",
                points,
                lambda: f"we failed them {_plural(facts.recent_failures, 'time')} in the last 90 days",
            )
        )
    tier_points = w["tiers"].get(facts.tier, 0.0)
    if tier_points:
        customer_terms.append(_term("tier", tier_points, lambda: f"{facts.tier} tier customer"))
    room = w["customer_cap"]
    for term in customer_terms:  # in the order above: tenure, value, failures, tier
        term["points"] = round(min(term["points"], room), 1)
        room -= term["points"]
        if term["points"] > 0:
            terms.append(term)
    if facts.impact == "question":
        ceiling = w["curves"]["down"][0] - 1
        total = sum(term["points"] for term in terms)
        if total > ceiling:
            terms.append(
                _term(
                    "ceiling",
                    ceiling - total,
                    lambda: f"a question stays below any service that is down (at most {ceiling:.0f})",
                )
            )
    if facts.override_points is not None and facts.override_until and facts.override_until > now:
        sign = "+" if facts.override_points >= 0 else "−"
        terms.append(
            _term(
                "override",
                facts.override_points,
                lambda: (
                    f"{sign}{abs(facts.override_points):.0f} by {facts.override_by or 'staff'} until "
                    f"{facts.override_until:%d %b %H:%M}: {facts.override_reason}"
                ),
            )
        )
    terms.sort(key=lambda t: -abs(t["points"]))
    if explain:
        for term in terms:
            term["reason"] = term["reason"]()
    return round(sum(t["points"] for t in terms), 2), terms


def facts_for(case, recent_failures: int | None = None) -> Facts:
    """The facts of one case. recent_failures is counted here unless the caller counted it for many."""
    customer = case.customer
    if recent_failures is None:
        recent_failures = _recent_failures_of(case)
    return Facts(
        impact=case.impact,
        problem_started_at=case.problem_started_at,
        is_open=case.is_open,
        tier=customer.tier,
        reach=case.affected_reach,
        awaiting_answer_since=case.awaiting_answer_since,
        demand_type=case.demand_type,
        failure_reason=case.failure_reason,
        chaser_count=case.chaser_count,
        repeat_of=f"C-{case.repeat_of_id}" if case.repeat_of_id else "",
        callback_due_at=case.callback_due_at,
        customer_since=customer.customer_since,
        monthly_value=float(customer.monthly_value or 0),
        recent_failures=recent_failures,
        override_points=case.priority_override_points,
        override_reason=case.priority_override_reason,
        override_until=case.priority_override_until,
        override_by=case.priority_override_by.display_name if case.priority_override_by_id else "",
    )


RECENT_FAILURE_DAYS = 90


def count_recent_failures(customer_ids, exclude_case: int | None = None) -> dict[int, int]:
    """Failure-demand cases per customer opened in the last 90 days: how often we failed them lately.
    customer_ids None counts for every customer at once."""
    from django.db.models import Count

    since = clock.now() - timedelta(days=RECENT_FAILURE_DAYS)
    cases = Case.objects.filter(demand_type=DemandType.FAILURE, created_at__gte=since)
    if customer_ids is not None:
        cases = cases.filter(customer_id__in=list(customer_ids))
    if exclude_case is not None:
        cases = cases.exclude(pk=exclude_case)
    return dict(cases.values_list("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))


# Plain SQL: every message intake reads scores its case, and the ORM's query building cost more than the
# lookup through the partial index of failure-demand cases.
_RECENT_FAILURES_OF_ONE = (
    "SELECT COUNT(*) FROM cases_case WHERE demand_type = 'failure' AND created_at >= %s AND customer_id = %s "
    "AND id <> %s"
)


def _recent_failures_of(case) -> int:
    """Counted once per case object: a service that scores a case twice (opened, then triaged) asks once.
    The case itself is never counted, so nothing it changes on itself moves the figure."""
    counted = case.__dict__.get("_recent_failures")
    if counted is None:
        since = clock.now() - timedelta(days=RECENT_FAILURE_DAYS)
        since = connection.ops.adapt_datetimefield_value(since)  # as the ORM writes it
        counted = rows.fetch_one(_RECENT_FAILURES_OF_ONE, [since, case.customer_id, case.pk or 0])[0]
        case.__dict__["_recent_failures"] = counted
    return counted


def compute_for(case, now=None) -> tuple[float, list[dict]]:
    return compute(facts_for(case), now=now)
