"""The worker: claims due jobs under a lease, runs them, and enqueues recurring jobs when due.

Claiming is a conditional UPDATE on the row (status and lease token as they were read), so it needs no
row locks and behaves the same on SQLite and PostgreSQL: of two workers racing for a job, one updates a
row and the other updates none.
"""

import logging
import os
import secrets
import socket
import threading
import traceback
from contextlib import nullcontext
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils.module_loading import import_string
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks.signals import task_finished, task_started

from frontline.core import clock
from frontline.scheduling.backend import DurableBackend, to_task_result
from frontline.scheduling.delayed import release_due
from frontline.scheduling.models import Job, JobStatus, PeriodicRun
from frontline.scheduling.periodic import PERIODIC_JOBS, Periodic

log = logging.getLogger("frontline.worker")


class LeaseLost(Exception):
    """Another worker took the job over while this one ran it; this attempt's effects are rolled back."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def in_serving_order():
    """What a worker takes first: the job on the first of settings.FRONTLINE_TASK_QUEUES, then the job of the
    highest priority, then the one due longest."""
    rank = Case(
        *(When(queue_name=name, then=Value(n)) for n, name in enumerate(settings.FRONTLINE_TASK_QUEUES)),
        default=Value(len(settings.FRONTLINE_TASK_QUEUES)),
    )
    return (rank, "-priority", "due_at", "pk")


def claim_next(worker_id: str, lease: timedelta) -> Job | None:
    """Claim the most urgent due job, or one whose holder's lease ran out. None when nothing is due."""
    now = clock.now()
    candidates = (
        Job.objects.filter(
            Q(status=JobStatus.READY, due_at__lte=now) | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
        )
        .order_by(*in_serving_order())
        .values("pk", "status", "lease_token", "attempts", "max_attempts")[:10]
    )
    for seen in candidates:
        if seen["status"] == JobStatus.RUNNING and seen["attempts"] >= seen["max_attempts"]:
            _give_up(seen, now)
            continue
        token = secrets.token_hex(16)
        won = Job.objects.filter(
            pk=seen["pk"], status=seen["status"], lease_token=seen["lease_token"]
        ).update(
            status=JobStatus.RUNNING,
            lease_token=token,
            lease_expires_at=now + lease * clock.speed(),  # the lease is real time; the clock may run fast
            attempts=F("attempts") + 1,
            last_attempted_at=now,
        )
        if won:
            job = Job.objects.get(pk=seen["pk"])
            job.started_at = job.started_at or now
            job.worker_ids = [*job.worker_ids, worker_id]
            Job.objects.filter(pk=job.pk, lease_token=token).update(
                started_at=job.started_at, worker_ids=job.worker_ids
            )
            return job
    return None


def _give_up(seen: dict, now) -> None:
    Job.objects.filter(pk=seen["pk"], lease_token=seen["lease_token"]).update(
        status=JobStatus.FAILED,
        finished_at=now,
        lease_expires_at=None,
        errors=[
            {
                "exception": "frontline.scheduling.worker.LeaseLost",
                "traceback": "lease expired on every attempt",
            }
        ],
    )
    log.error("job %s gave up after %s attempts whose leases all expired", seen["pk"], seen["attempts"])


def run_job(job: Job) -> bool:
    """Run a claimed job. Its effects and its completion commit together, only if the lease still holds."""
    task = import_string(job.task_path)
    result = to_task_result(job, task=task)
    # django-tasks' signals, as RQ's backend sends them: its log lines (a job's start and how it ended) and
    # whoever else listens (the logs' job id) see our jobs as they see RQ's.
    task_started.send(DurableBackend, task_result=result)
    try:
        status = _run(job, task, result)
    except Exception as exc:
        try:
            _record_failure(job, exc)
        finally:
            # Sent with the exception in hand: django-tasks logs a failed job with its traceback.
            task_finished.send(DurableBackend, task_result=replace(result, status=TaskResultStatus.FAILED))
        return False
    task_finished.send(DurableBackend, task_result=replace(result, status=status))
    return status == TaskResultStatus.SUCCESSFUL


def _run(job: Job, task, result) -> TaskResultStatus:
    """SUCCESSFUL once its effects committed; RUNNING when another worker took it over meanwhile (this
    attempt's effects rolled back); a failure raises."""
    # A job marked as running in its own transactions (long, idempotent work like re-scoring every open
    # case) is not wrapped in one: on SQLite that would hold the write lock for the whole job.
    wrap = nullcontext() if getattr(task.func, "own_transactions", False) else transaction.atomic()
    try:
        with wrap:
            args = list(job.args)
            if task.takes_context:
                args.insert(0, TaskContext(task_result=result))
            value = task.func(*args, **job.kwargs)
            finished = Job.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
                status=JobStatus.SUCCESSFUL,
                finished_at=clock.now(),
                lease_expires_at=None,
                return_value=value,
            )
            if not finished:
                raise LeaseLost(f"job {job.pk} was taken over by another worker")
        return TaskResultStatus.SUCCESSFUL
    except LeaseLost:
        log.warning("job %s: lease lost, effects rolled back", job.pk)
        return TaskResultStatus.RUNNING


def _record_failure(job: Job, exc: Exception) -> None:
    error = {
        "exception": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": traceback.format_exc(),
    }
    Job.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
        status=JobStatus.FAILED,
        finished_at=clock.now(),
        lease_expires_at=None,
        errors=[*job.errors, error],
    )


def enqueue_due_periodic(jobs: list[Periodic] = PERIODIC_JOBS) -> int:
    """Enqueue each recurring job whose time has come. Safe with many workers: one wins each slot."""
    now = clock.now()
    enqueued = 0
    for periodic in jobs:
        run, _ = PeriodicRun.objects.get_or_create(name=periodic.name, defaults={"next_run_at": now})
        if run.next_run_at > now:
            continue
        with transaction.atomic():
            won = PeriodicRun.objects.filter(pk=run.pk, next_run_at=run.next_run_at).update(
                next_run_at=now + periodic.every
            )
            if won:
                result = import_string(periodic.task_path).enqueue()
                if str(result.id).isdigit():  # a durable job; other backends (RQ) have ids of their own
                    PeriodicRun.objects.filter(pk=run.pk).update(last_enqueued_job_id=int(result.id))
                enqueued += 1
    return enqueued


def run_worker(
    *,
    worker_id: str | None = None,
    lease: timedelta,
    poll_seconds: float = 1.0,
    max_jobs: int | None = None,
    stop_when_idle: bool = False,
    periodic: bool = True,
    jobs: bool = True,
    stop: threading.Event | None = None,
) -> int:
    """The loop `frontline worker` runs, until `stop` is set (between jobs). Returns how many jobs it ran."""
    worker_id = worker_id or default_worker_id()
    stop = stop or threading.Event()
    log.info("worker %s started (lease %ss)", worker_id, lease.total_seconds())
    ran = 0
    while (max_jobs is None or ran < max_jobs) and not stop.is_set():
        if (
            not connection.in_atomic_block
        ):  # recycle broken or old connections between jobs, as a request would
            close_old_connections()
        if periodic:  # the queue's clock: recurring jobs, and on RQ the delayed jobs now due
            enqueue_due_periodic()
            release_due()
        job = claim_next(worker_id, lease) if jobs else None
        if job is None:
            if stop_when_idle:
                break
            stop.wait(poll_seconds)
            continue
        log.info("job %s (%s) attempt %s", job.pk, job.task_path, job.attempts)
        run_job(job)
        ran += 1
    return ran
