from django.contrib import admin

from frontline.incidents.models import (
    CorrectiveAction,
    Incident,
    IncidentUpdate,
    Maintenance,
    Postmortem,
    Subscription,
)
from frontline.web.admin import ReadOnlyAdmin


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Run on the Incidents page or through the API, where every update reaches every affected customer."""

    list_display = ["pk", "title", "state", "impact", "started_at", "resolved_at", "opened_by_label"]
    list_filter = ["state", "impact"]


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(ReadOnlyAdmin):
    list_display = ["pk", "incident", "state", "posted_at", "posted_by_label", "notices"]


@admin.register(Maintenance)
class MaintenanceAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "title",
        "status",
        "impact",
        "starts_at",
        "ends_at",
        "sequence",
        "upstream_provider",
    ]
    list_filter = ["status", "impact"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "address", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["kind"]


@admin.register(Postmortem)
class PostmortemAdmin(ReadOnlyAdmin):
    """Written on the incident page; the impact is computed from the state history."""

    list_display = ["incident", "cause_class", "customers", "units", "customer_minutes_lost", "written_at"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdmin):
    """Closed on the incident page, only with what shows the fix works."""

    list_display = ["pk", "postmortem", "kind", "owner", "priority", "due_at", "status", "verification_kind"]
    list_filter = ["status", "kind", "priority"]
