from django.contrib import admin, messages

from frontline.cases import services
from frontline.cases.models import Case, Message
from frontline.core.errors import NotAllowed, ServiceError
from frontline.web.access import agent_of
from frontline.web.admin import ReadOnlyAdmin


@admin.action(description="Assign to me")
def assign_to_me(modeladmin, request, queryset):
    agent = agent_of(request.user)
    for case in queryset:
        try:
            services.assign_case(case, assignee=agent, by=agent, via="admin")
        except (ServiceError, NotAllowed) as exc:
            messages.error(request, f"{case.ref}: {exc}")


@admin.action(description="Recompute priority")
def recompute_priority(modeladmin, request, queryset):
    for case in queryset.select_related("customer"):
        services.refresh_priority(case)


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "channel", "direction", "sender", "subject", "send_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "ref",
        "subject",
        "customer",
        "status",
        "impact",
        "priority",
        "assignee",
        "topic",
        "created_at",
    ]
    list_filter = ["status", "is_open", "impact", "demand_type", "topic"]
    search_fields = ["=id", "subject", "customer__name"]
    list_select_related = ["customer", "assignee", "topic"]
    raw_id_fields = ["customer", "requester", "assignee"]
    inlines = [MessageInline]
    actions = [assign_to_me, recompute_priority]
    show_full_result_count = False  # no COUNT over a million cases on every list page


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["pk", "case", "channel", "direction", "sender", "created_at", "sent_at", "send_error"]
    list_filter = ["channel", "direction"]
    search_fields = ["=case__id", "sender", "message_id"]
    list_select_related = ["case"]
    exclude = ["raw_source"]
    readonly_fields = ["raw_source_text"]
    show_full_result_count = False

    @admin.display(description="Raw source")
    def raw_source_text(self, obj):
        return bytes(obj.raw_source).decode("utf-8", "replace") or "(none)"
