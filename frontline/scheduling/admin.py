from django.contrib import admin

from frontline.scheduling.models import Job, PeriodicRun
from frontline.web.admin import ReadOnlyAdmin


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "task_path", "status", "due_at", "attempts", "lease_expires_at", "finished_at"]
    list_filter = ["status", "task_path", "queue_name"]
    search_fields = ["task_path"]
    date_hierarchy = "due_at"


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_run_at", "last_enqueued_job"]
