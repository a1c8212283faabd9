from django import forms
from django.contrib import admin

from frontline.core.errors import ServiceError
from frontline.notifications.models import FanOut, Ladder, Notification
from frontline.notifications.services import validate_steps


class LadderForm(forms.ModelForm):
    class Meta:
        model = Ladder
        fields = ["name", "subject_kind", "urgency", "steps", "is_active", "created_at"]

    def clean_steps(self):
        try:
            return validate_steps(self.cleaned_data["steps"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Ladder)
class LadderAdmin(admin.ModelAdmin):
    """Ladders are the provider's data: edited here, checked on save, frozen into each notification."""

    form = LadderForm
    list_display = ["name", "subject_kind", "urgency", "is_active"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "title", "status", "next_step", "next_due_at", "created_at"]
    list_filter = ["status", "urgency", "subject_kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(FanOut)
class FanOutAdmin(admin.ModelAdmin):
    list_display = ["pk", "title", "subject_kind", "subject_id", "total", "created_at"]
    exclude = ["audience"]  # the recipients still to store: megabytes while a large fan-out is stored
    readonly_fields = [f.name for f in FanOut._meta.fields if f.name != "audience"]

    def has_add_permission(self, request):
        return False
