from django.contrib import admin

from frontline.correlation.models import GroupingRule, Proposal
from frontline.web.admin import ReadOnlyAdmin


@admin.register(GroupingRule)
class GroupingRuleAdmin(ReadOnlyAdmin):
    """Written on the Correlation page or through the API, where each is checked at save."""

    list_display = ["name", "group_by", "mode", "min_count", "window_minutes", "needs_approval", "version"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["pk", "rule", "label", "state", "count", "customers", "proposed_at", "incident"]
    list_filter = ["state", "rule"]
