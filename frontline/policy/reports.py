"""What the provider learns from its rules: which fire, which people override, and whether that was right.

Rules to fix: per rule, how often it fired, how often people overrode it, and how those overrides turned out
30 days on: *held* (no repeat of the triggering event on that unit, and the case not reopened), *repeated*,
*reopened*, or *too early* to say. A rule overridden often, with overrides that hold, is a rule to change.

Simulation: a changed rule replayed over the contexts stored when past events were judged (never today's
state of the unit), compared with what the rule as it was decided then.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Q, Sum

from frontline.core import clock
from frontline.core.errors import require_choice
from frontline.events.models import Event, EventKind
from frontline.policy import engine
from frontline.policy.models import ActionKind, Decision, Override, OverrideKind, PolicyEvent, PolicyRule
from frontline.policy.services import check_condition

OUTCOME_WINDOW = timedelta(days=30)
RULE_OVERRIDES = (OverrideKind.DO_LESS, OverrideKind.DO_DIFFERENTLY, OverrideKind.DELAY, OverrideKind.END)


@dataclass
class RuleRow:
    rule: PolicyRule
    fired: int = 0
    overridden: int = 0  # decisions of the rule that a person overrode (reversed overrides not counted)
    goodwill: int = 0
    goodwill_value: float = 0.0
    held: int = 0
    repeated: int = 0
    reopened: int = 0
    too_early: int = 0

    @property
    def override_rate(self) -> float:
        return self.overridden / self.fired if self.fired else 0.0

    @property
    def verdict(self) -> str:
        if self.fired == 0 and self.goodwill == 0:
            return "never fired"
        judged = self.held + self.repeated + self.reopened
        if self.override_rate >= 0.25 and judged and self.held / judged >= 0.5:
            return "change it: overridden often, and the overrides hold"
        if self.goodwill >= 3:
            return "question it: people keep going beyond it"
        if self.override_rate >= 0.25:
            return "watch it: overridden often; outcomes not yet clear"
        return "keep"


def rules_to_fix(*, now=None) -> list[RuleRow]:
    now = now or clock.now()
    rows = {rule.pk: RuleRow(rule) for rule in PolicyRule.objects.order_by("name")}
    fired = (
        Decision.objects.filter(rule__isnull=False, replaces__isnull=True)
        .values("rule")
        .annotate(n=Count("id"))
    )
    for item in fired:
        rows[item["rule"]].fired = item["n"]
    live = Override.objects.filter(reversed_at__isnull=True, rule__isnull=False)
    goodwill = live.filter(kind=OverrideKind.GOODWILL).values("rule").annotate(n=Count("id"), v=Sum("value"))
    for item in goodwill:
        rows[item["rule"]].goodwill, rows[item["rule"]].goodwill_value = item["n"], float(item["v"] or 0)
    overrides = (
        live.filter(kind__in=RULE_OVERRIDES, decision__isnull=False)
        .select_related("decision__event")
        .order_by("decision_id", "created_at")
    )
    seen: set[int] = set()
    for override in overrides:
        if override.decision_id in seen:
            continue  # a decision overridden twice counts once, judged from the first override
        seen.add(override.decision_id)
        row = rows[override.rule_id]
        row.overridden += 1
        outcome = override_outcome(override, now=now)
        setattr(row, outcome, getattr(row, outcome) + 1)
    return sorted(rows.values(), key=lambda r: (-r.override_rate, -r.goodwill, -r.fired, r.rule.name))


def override_outcome(override: Override, *, now) -> str:
    decision = override.decision
    start, end = override.created_at, override.created_at + OUTCOME_WINDOW
    repeat = PolicyEvent.objects.filter(
        unit_id=decision.unit_id, trigger=decision.event.trigger, received_at__gt=start, received_at__lte=end
    ).exclude(Q(kind="payment_received") | Q(context__event__infected=False))
    if repeat.exists():
        return "repeated"
    if (
        decision.case_id
        and Event.objects.filter(
            case_id=decision.case_id, kind=EventKind.CASE_REOPENED, at__gt=start, at__lte=end
        ).exists()
    ):
        return "reopened"
    return "held" if now >= end else "too_early"


# ---------------------------------------------------------------- simulation


@dataclass
class Simulation:
    rule: PolicyRule
    condition: str
    action: str
    since: timedelta
    events: int = 0
    fired_before: int = 0
    fired_after: int = 0
    newly: list = field(default_factory=list)  # (event id, unit id, received_at) that would now fire
    no_longer: list = field(default_factory=list)  # that fired then and would not now
    changed_action: int = 0  # fires both ways, with another action
    no_longer_overridden: int = 0  # of those no longer firing, how many a person had overridden then
    failed: int = 0  # contexts the changed condition could not evaluate
    seconds: float = 0.0


_PAGE = (
    "SELECT id, unit_id, received_at, context FROM policy_policyevent "
    "WHERE trigger = %s AND status = 'judged' AND received_at >= %s AND id > %s ORDER BY id LIMIT %s"
)


def simulate(
    rule: PolicyRule,
    *,
    since: timedelta,
    condition: str | None = None,
    action: str | None = None,
    page: int = 20000,
) -> Simulation:
    """What the rule, changed as given, would have done on every event of its trigger since then."""
    import time

    started = time.perf_counter()

    condition = (condition or rule.condition).strip()
    action = require_choice(action or rule.action, ActionKind, "action")
    check_condition(rule.trigger, condition)
    changed = engine.CompiledRule.of(rule, condition=condition, action=action)
    cutoff = clock.now() - since
    then = dict(
        Decision.objects.filter(rule=rule, replaces__isnull=True, event__received_at__gte=cutoff).values_list(
            "event_id", "action"
        )
    )
    overridden = set(
        Override.objects.filter(
            decision__rule=rule, kind__in=RULE_OVERRIDES, reversed_at__isnull=True
        ).values_list("decision__event_id", flat=True)
    )
    result = Simulation(rule=rule, condition=condition, action=action, since=since, fired_before=len(then))
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_PAGE, [rule.trigger, cutoff, last, page])
            rows = cursor.fetchall()
        if not rows:
            break
        last = rows[-1][0]
        for event_id, unit_id, received_at, context in rows:
            result.events += 1
            context = json.loads(context) if isinstance(context, str) else context
            verdict = engine.judge([changed], engine.bindable(rule.trigger, context))
            fires = bool(verdict.fired)
            result.failed += bool(verdict.failed)
            result.fired_after += fires
            before = then.get(event_id)
            if fires and before is None:
                result.newly.append((event_id, unit_id, received_at))
            elif before is not None and not fires:
                result.no_longer.append((event_id, unit_id, received_at))
                result.no_longer_overridden += event_id in overridden
            elif fires and before != action:
                result.changed_action += 1
    result.seconds = time.perf_counter() - started
    return result
