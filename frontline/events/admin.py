from django.contrib import admin

from frontline.events.models import Event
from frontline.web.admin import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "who", "via", "case", "customer", "unit"]
    list_filter = ["kind", "via"]
    search_fields = ["=case__id", "customer__name", "actor_label"]
    date_hierarchy = "at"
    list_select_related = ["actor__user", "case", "customer", "unit"]
    raw_id_fields = ["case", "customer", "unit", "actor"]
