"""Writing grouping rules: checked at save (the condition's names and types against schema.py, the numbers'
ranges) and recorded as an event with what changed; compiled once per process."""

from django.db import transaction

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.correlation import events, schema, stamps
from frontline.correlation.models import GroupBy, GroupingRule, RuleMode
from frontline.policy import expressions

RULES_STAMP = "correlation-rules"
_FIELDS = ("name", "condition", "group_by", "window_minutes", "min_count", "needs_approval", "mode")


def check_condition(condition: str) -> None:
    expressions.require_valid(condition, schema.VARIABLES, schema.describe)


@transaction.atomic
def save_rule(
    *,
    by,
    name: str,
    condition: str,
    group_by: str = GroupBy.UPSTREAM,
    window_minutes: int = 15,
    min_count: int = 5,
    needs_approval: bool = True,
    mode: str = RuleMode.SHADOW,
    description: str = "",
    rule: GroupingRule | None = None,
    via: str = "web",
) -> GroupingRule:
    require(by, Capability.RUN_INCIDENTS)
    name, condition = (name or "").strip(), (condition or "").strip()
    if not name:
        raise ServiceError("a rule needs a name", field="name")
    require_choice(group_by, GroupBy, "group_by")
    require_choice(mode, RuleMode, "mode")
    check_condition(condition)
    if not 1 <= int(window_minutes) <= 24 * 60:
        raise ServiceError("the window is between 1 minute and a day", field="window_minutes")
    if not 2 <= int(min_count) <= 100_000:
        raise ServiceError("a group needs at least 2 cases", field="min_count")
    values = dict(
        name=name,
        condition=condition,
        group_by=group_by,
        window_minutes=int(window_minutes),
        min_count=int(min_count),
        needs_approval=bool(needs_approval),
        mode=mode,
    )
    taken = GroupingRule.objects.filter(name=name)
    if rule is not None:
        taken = taken.exclude(pk=rule.pk)
    if taken.exists():
        raise ServiceError(f"there is already a grouping rule named {name!r}", field="name")
    now = clock.now()
    if rule is None:
        rule = GroupingRule.objects.create(**values, description=description, created_at=now, updated_at=now)
        changed = list(_FIELDS)
    else:
        rule = GroupingRule.objects.select_for_update().get(pk=rule.pk)
        changed = [key for key in _FIELDS if getattr(rule, key) != values[key]]
        for key, value in values.items():
            setattr(rule, key, value)
        rule.description = description or rule.description
        if changed:
            rule.version += 1
            rule.updated_at = now
        rule.save()
    if changed:
        events.rule_changed(rule=rule, changed=changed, by=by, via=via)
    rule_cache.clear()
    transaction.on_commit(lambda: stamps.change(RULES_STAMP))  # every process rereads the rules
    return rule


class RuleCache:
    """The rules that look at cases (on or shadow), compiled, reread when any process saved a rule: the
    shared cache holds a stamp each save changes (`stamps.py`), so a case's path spends no query on it."""

    def __init__(self):
        self.stamp, self.rules = None, []

    def clear(self) -> None:
        self.stamp = None

    def active(self) -> list[tuple[GroupingRule, object]]:
        stamp = stamps.current(RULES_STAMP)
        if stamp != self.stamp:
            rules = GroupingRule.objects.exclude(mode=RuleMode.OFF).order_by("pk")
            self.rules = [(r, expressions.compile_condition(r.condition)) for r in rules]
            self.stamp = stamp
        return self.rules


rule_cache = RuleCache()
