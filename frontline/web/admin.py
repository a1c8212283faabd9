"""Admin conventions: evidence is read-only; changes go through services, never around them."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For evidence: events, raw messages, jobs. Viewable and searchable, never changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
