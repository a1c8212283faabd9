"""Policy records in the admin, to look at only: rules are written on the rules page (or the API), so that
every change is checked, versioned and an event; decisions and overrides change through their services."""

from django.contrib import admin

from frontline.policy.models import Decision, Override, PolicyEvent, PolicyRule, RuleVersion
from frontline.web.admin import ReadOnlyAdmin


@admin.register(PolicyRule)
class PolicyRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "trigger", "action", "severity", "enabled", "version"]
    list_filter = ["trigger", "enabled"]


@admin.register(RuleVersion)
class RuleVersionAdmin(ReadOnlyAdmin):
    list_display = ["rule", "version", "changed_at", "changed_by"]


@admin.register(PolicyEvent)
class PolicyEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "trigger", "kind", "source", "status", "received_at", "unit"]
    list_filter = ["trigger", "status", "source"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "rule", "unit", "action", "status", "due_at", "applied_at"]
    list_filter = ["status", "action"]


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "agent", "customer", "value", "created_at", "reversed_at"]
    list_filter = ["kind"]
