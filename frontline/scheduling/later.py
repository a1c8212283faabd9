"""Enqueue a background job by its task's dotted path.

A service schedules its own app's tasks this way: the app's `tasks.py` imports its services, so services
naming their tasks by path keeps the two modules out of an import circle. A test resolves every path
written in a `later(...)` call.
"""

from functools import cache

from django.utils.module_loading import import_string


def later(task_path: str, *args, run_after=None, **kwargs):
    task = _task(task_path)
    if run_after is not None:
        task = task.using(run_after=run_after)
    return task.enqueue(*args, **kwargs)


@cache
def _task(task_path: str):
    """A task is a module's attribute, found once (intake enqueues an acknowledgement for most new cases)."""
    return import_string(task_path)
