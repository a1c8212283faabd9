"""Enqueue a background job by its task's dotted path.

A service schedules its own app's tasks this way: the app's `tasks.py` imports its services, so services
naming their tasks by path keeps the two modules out of an import circle. A test resolves every path
written in a `later(...)` call.
"""

from functools import cache

from django.db import connection, transaction
from django.utils.module_loading import import_string

from frontline.scheduling.backend import on_rq


def later(task_path: str, *args, run_after=None, **kwargs) -> None:
    """`run_after`: a job put off until a time. On RQ it waits in Redis (scheduling/delayed.py), lost if
    Redis is: anything that must happen at its time keeps a row with its due time for a recurring job instead.
    Inside a transaction the job counts only if the transaction commits. The durable queue's row is
    written in it; a queue outside the database (RQ) is handed the job at the commit: handed it at once, a
    worker could take it before what it is about exists (a new case's acknowledgement found no case, and
    was never sent)."""
    task = _task(task_path)
    if run_after is not None:
        task = task.using(run_after=run_after)
    if on_rq() and connection.in_atomic_block:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
    else:
        task.enqueue(*args, **kwargs)


@cache
def _task(task_path: str):
    """A task is a module's attribute, found once (intake enqueues an acknowledgement for most new cases)."""
    return import_string(task_path)
