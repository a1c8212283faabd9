"""A backend for Django's tasks interface over Frontline's durable job table.

django-tasks' own database backend has no lease (a worker killed mid-task leaves it RUNNING forever)
and no periodic jobs. Rather than a second table beside it, this backend stores tasks as `Job` rows
that `frontline worker` claims under a lease. Callers only see the standard interface:
`my_task.enqueue(...)` and `my_task.using(run_after=when).enqueue(...)`.
"""

from django.conf import settings
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from frontline.core import clock, rows

RQ_BACKEND = "django_tasks_rq.RQBackend"


def on_rq() -> bool:
    """Whether jobs run on Redis-backed RQ workers (the scale-out set-up) rather than on this backend."""
    return settings.TASKS["default"]["BACKEND"] == RQ_BACKEND


class DurableBackend(BaseTaskBackend):
    supports_defer = True
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self._checked: set[Task] = set()

    def enqueue(self, task: Task, args, kwargs) -> TaskResult:
        # Settings load this backend before the app registry is ready; models only once it is.
        from frontline.scheduling.models import Job

        if task not in self._checked:
            self.validate_task(task)
            if task.run_after is None:  # a task to run now is checked once (its signature is read)
                self._checked.add(task)
        now = clock.now()
        job = rows.new(
            Job,
            task_path=task.module_path,
            args=list(args),
            kwargs=dict(kwargs),
            queue_name=task.queue_name,
            priority=task.priority,
            due_at=task.run_after or now,
            enqueued_at=now,
        )
        rows.insert(job)  # plain SQL: intake enqueues an acknowledgement for most new cases
        return to_task_result(job, task=task, backend=self.alias)

    def get_result(self, result_id: str) -> TaskResult:
        # Settings load this backend before the app registry is ready; models only once it is.
        from frontline.scheduling.models import Job

        if not str(result_id).isdigit():
            raise TaskResultDoesNotExist(result_id)
        try:
            job = Job.objects.get(pk=int(result_id))
        except Job.DoesNotExist as exc:
            raise TaskResultDoesNotExist(result_id) from exc
        return to_task_result(job, backend=self.alias)


def to_task_result(job, *, task: Task | None = None, backend: str = "default") -> TaskResult:
    from django.utils.module_loading import import_string

    task = task or import_string(job.task_path)
    result = TaskResult(
        task=task,
        id=str(job.pk),
        status=TaskResultStatus(job.status),
        enqueued_at=job.enqueued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        last_attempted_at=job.last_attempted_at,
        args=job.args,
        kwargs=job.kwargs,
        backend=backend,
        errors=[TaskError(exception_class_path=e["exception"], traceback=e["traceback"]) for e in job.errors],
        worker_ids=list(job.worker_ids),
    )
    object.__setattr__(result, "_return_value", job.return_value)
    return result
