from django.contrib import admin

from frontline.todos.models import ToDo
from frontline.web.admin import ReadOnlyAdmin


@admin.register(ToDo)
class ToDoAdmin(ReadOnlyAdmin):
    """Listed here; done (with what was done) on the to-do page, through the service."""

    list_display = ["pk", "kind", "title", "customer", "case", "due_at", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "detail"]
