from django.apps import AppConfig
from django_tasks.signals import task_finished, task_started

from frontline.operations import logs


class OperationsConfig(AppConfig):
    name = "frontline.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self):
        # A job's id on every line logged while it runs, on RQ's workers and ours alike.
        task_started.connect(logs.job_started, dispatch_uid="frontline-log-job-started")
        task_finished.connect(logs.job_finished, dispatch_uid="frontline-log-job-finished")
