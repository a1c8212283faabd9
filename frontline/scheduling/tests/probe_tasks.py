"""Tasks the scheduling tests run, in real worker processes too (so they live in an importable module)."""

import pathlib
import time

from django_tasks import task

from frontline.scheduling.models import Job


@task()
def child(label: str) -> str:
    return label


@task(takes_context=True)
def write_then_hang_on_first_attempt(context, label: str, started_marker: str) -> int:
    """Its effect is one child job; on its first attempt it then hangs, so a test can kill it mid-job."""
    child.enqueue(label)
    if context.attempt == 1:
        pathlib.Path(started_marker).write_text("started")
        time.sleep(120)
    return Job.objects.filter(task_path=child.module_path, args=[label]).count()


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def explode() -> None:
    raise RuntimeError("the disk is on fire")


calls: list[str] = []


@task()
def remember(label: str) -> None:
    calls.append(label)
