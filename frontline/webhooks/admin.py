from django.contrib import admin

from frontline.web.admin import ReadOnlyAdmin
from frontline.webhooks.models import Subscription, WebhookAttempt, WebhookDelivery


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = readonly_fields = ["at", "status_code", "ok", "answer"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Subscriptions are made and resumed through the API (their services record who did it)."""

    list_display = ["name", "url", "paused_at", "failures_in_row", "created_at"]


@admin.register(WebhookDelivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "kind", "state", "tries", "next_attempt_at", "delivered_at"]
    list_filter = ["state", "subscription"]
    inlines = [AttemptInline]
