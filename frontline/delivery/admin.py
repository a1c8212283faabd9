from django.contrib import admin

from frontline.delivery.models import DeliveryAttempt
from frontline.web.admin import ReadOnlyAdmin


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    """The evidence log of every send: never edited."""

    list_display = [
        "pk",
        "attempted_at",
        "channel",
        "address",
        "status",
        "reply_code",
        "reply_text",
        "report_status",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["address", "header_message_id", "reply_text"]
