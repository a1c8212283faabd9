"""Writing rules: each save is checked (the condition against its trigger's typed context, the action and its
parameters, the severity's grace) and kept as a new version with who changed it and why."""

from django.db import transaction

from frontline.agents.models import Agent, Capability
from frontline.agents.services import require
from frontline.core import clock
from frontline.core.errors import ServiceError, require_choice
from frontline.policy import engine, events, expressions, schema
from frontline.policy.guardrails import EMERGENCY_TRIGGERS, grace_for, notice_time
from frontline.policy.models import (
    DISRUPTIVE,
    ActionKind,
    PolicyRule,
    RuleVersion,
    Severity,
    Trigger,
)
from frontline.policy.wording import span


def check_condition(trigger: str, condition: str) -> None:
    """Syntax (the library), names and types (our checker over the trigger's schema), or a ServiceError."""
    expressions.require_valid(condition, schema.variables(trigger), schema.describe)


def _check_rule(*, trigger, condition, action, severity, params, grace_minutes) -> None:
    require_choice(trigger, Trigger, "trigger")
    require_choice(action, ActionKind, "action")
    require_choice(severity, Severity, "severity")
    check_condition(trigger, condition)
    if not isinstance(params, dict):
        raise ServiceError("params must be an object", field="params")
    if {"scope", "unit", "target"} & set(params):
        raise ServiceError(
            "a rule acts on the unit its event names and never wider; widening is a person's decision",
            field="params",
        )
    if severity == Severity.EMERGENCY and trigger not in EMERGENCY_TRIGGERS:
        raise ServiceError(
            "only abuse reports and resource abuse can be an attack on others, the one reason to act at once",
            field="severity",
        )
    if action in DISRUPTIVE and severity != Severity.EMERGENCY:
        grace, reach = grace_for(severity, grace_minutes), notice_time(severity)
        if grace < reach:
            raise ServiceError(
                f"a grace period of {span(grace)} is shorter than the {severity} notice needs to reach a "
                f"person ({span(reach)}); give at least {span(reach)}",
                field="grace_minutes",
            )


_VERSIONED = ("name", "trigger", "condition", "action", "params", "severity", "grace_minutes", "enabled")


@transaction.atomic
def save_rule(
    *,
    by: Agent,
    name: str,
    trigger: str,
    condition: str,
    action: str,
    severity: str = Severity.STANDARD,
    params: dict | None = None,
    grace_minutes: int | None = None,
    enabled: bool = True,
    description: str = "",
    reason: str = "",
    rule: PolicyRule | None = None,
    via: str = "web",
) -> PolicyRule:
    """Write or change a rule: checked first (syntax, names, types, grace), then a version and an event."""
    require(by, Capability.EDIT_POLICY)
    name, condition = (name or "").strip(), (condition or "").strip()
    if not name:
        raise ServiceError("a rule needs a name", field="name")
    params = params if params is not None else {}
    _check_rule(
        trigger=trigger,
        condition=condition,
        action=action,
        severity=severity,
        params=params,
        grace_minutes=grace_minutes,
    )
    now = clock.now()
    values = dict(
        name=name,
        trigger=trigger,
        condition=condition,
        action=action,
        params=params,
        severity=severity,
        grace_minutes=grace_minutes,
        enabled=enabled,
    )
    if rule is None:
        if PolicyRule.objects.filter(name=name).exists():
            raise ServiceError(f"there is already a rule named {name!r}", field="name")
        rule = PolicyRule.objects.create(
            **values, description=description, version=1, created_at=now, updated_at=now
        )
        changed = list(_VERSIONED)
    else:
        rule = PolicyRule.objects.select_for_update().get(pk=rule.pk)
        changed = [key for key in _VERSIONED if getattr(rule, key) != values[key]]
        if rule.description != description and description:
            rule.description = description
        if not changed:
            rule.save(update_fields=["description"])
            return rule
        if "name" in changed and PolicyRule.objects.filter(name=name).exclude(pk=rule.pk).exists():
            raise ServiceError(f"there is already a rule named {name!r}", field="name")
        for key, value in values.items():
            setattr(rule, key, value)
        rule.version += 1
        rule.updated_at = now
        rule.save()
    RuleVersion.objects.create(
        rule=rule, version=rule.version, changed_at=now, changed_by=by, reason=reason, **values
    )
    events.rule_changed(rule=rule, changed=changed, reason=reason, by=by, via=via)
    engine.rule_cache.clear()  # this process judges with the new version at once
    transaction.on_commit(engine.rule_cache.clear)
    return rule
