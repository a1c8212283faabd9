from django import forms
from django.contrib import admin

from frontline.core import clock
from frontline.monitoring.models import Alert, AlertGroup, AlertPost, Change, Component, Matcher, Source
from frontline.web.admin import ReadOnlyAdmin


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["name", "kind", "secret", "is_active"]

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if len(secret) < 24:
            raise forms.ValidationError("a source's secret needs at least 24 characters")
        return secret


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Who may post alerts: /monitoring/hooks/<name>/ with the secret as a bearer token or an HMAC key."""

    form = SourceForm
    list_display = ["name", "kind", "is_active", "created_at"]

    def save_model(self, request, obj, form, change):
        obj.created_at = obj.created_at or clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Component)
class ComponentAdmin(ReadOnlyAdmin):
    """Added through the API; their state comes from monitoring (or PUT .../state by a person)."""

    list_display = ["name", "kind", "group", "parent", "state", "state_changed_at", "public"]
    list_filter = ["kind", "group", "state"]
    search_fields = ["name"]


@admin.register(Matcher)
class MatcherAdmin(ReadOnlyAdmin):
    """Edited on the Monitoring page or through the API, where each is checked at save."""

    list_display = ["position", "label", "looks_up", "alertname", "health", "topic", "is_active"]


@admin.register(AlertPost)
class AlertPostAdmin(ReadOnlyAdmin):
    list_display = ["pk", "source", "received_at", "status", "problem"]
    list_filter = ["status", "source"]


@admin.register(AlertGroup)
class AlertGroupAdmin(ReadOnlyAdmin):
    list_display = ["pk", "source", "group_key", "status", "posts", "last_posted_at"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["pk", "name", "status", "starts_at", "health", "matcher", "last_seen_at"]
    list_filter = ["status", "health"]
    search_fields = ["name", "fingerprint"]


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    """Recorded by CI or configuration management through POST /api/v1/changes: evidence, never edited."""

    list_display = ["started_at", "kind", "summary", "changed_by", "tool", "external_id"]
    list_filter = ["kind"]
    search_fields = ["summary", "changed_by", "external_id"]
