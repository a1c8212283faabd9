from django.contrib import admin, messages

from frontline.core.errors import ServiceError
from frontline.intake import services
from frontline.intake.models import ChatSession, RawMessage
from frontline.web.access import agent_of
from frontline.web.admin import ReadOnlyAdmin


@admin.action(description="Process again (quarantined or unconfirmed)")
def process_again(modeladmin, request, queryset):
    for row in queryset:
        try:
            row = services.reprocess(row, by=agent_of(request.user))
            messages.info(request, f"#{row.pk}: {row.get_status_display()}: {row.reason}")
        except ServiceError as exc:
            messages.error(request, f"#{row.pk}: {exc.message}")


@admin.register(RawMessage)
class RawMessageAdmin(ReadOnlyAdmin):
    """Evidence: exactly what arrived. Read-only; re-processing goes through the pipeline."""

    list_display = ["pk", "received_at", "source", "status", "envelope_sender", "header_message_id", "reason"]
    list_filter = ["status", "source"]
    search_fields = ["header_message_id", "envelope_sender", "reason", "idempotency_key"]
    exclude = ["raw"]
    actions = [process_again]


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "name", "email", "case", "started_at", "last_seen_at"]
    search_fields = ["name", "email"]
    exclude = ["token"]
