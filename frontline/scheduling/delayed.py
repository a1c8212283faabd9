"""Jobs put off until a time (`later(..., run_after=...)`) on RQ.

RQ keeps such a job in its queue's scheduled registry and moves it onto the queue only in a worker started
with RQ's scheduler: a process forked per worker, left behind when its worker is killed -9. Frontline's
workers run without it, so nothing moved these jobs: a promised callback's check, the one such job then, was
never run on RQ. The recurring-jobs process is already the queue's clock; each time it looks, it also moves
every job whose time has come. On the durable queue a worker claims a job by its due time, and there is
nothing to move. (A job put off lives in Redis, and goes if Redis is lost: what must happen at a time is
a row with its due time that a recurring job takes, as a promised callback's timer now is.)

Several recurring-jobs processes may run (one per machine): a short Redis lock lets one of them move at a
time, and each job is put on its queue and taken off the registry in one MULTI, so a job is moved once and
never lost between the two.
"""

from datetime import datetime

from django.conf import settings

from frontline.core import clock
from frontline.scheduling.backend import on_rq

LOCK = "frontline:delayed-jobs-moving"
LOCK_SECONDS = 30  # longer than a pass takes; a process killed holding it delays the next pass this long
CHUNK = 500  # job ids read from a registry at a time


def release_due(now: datetime | None = None) -> int:
    """Put on its queue every delayed job due by `now` (the shared clock: tests move it). Answers how many."""
    if not on_rq():
        return 0
    # RQ is configured (its queues named in settings) only when it runs the jobs.
    import django_rq
    from django_tasks_rq import Job

    redis = django_rq.get_connection()
    lock = redis.lock(LOCK, timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return 0  # another process is moving them now
    try:
        timestamp = int((now or clock.now()).timestamp())
        moved = 0
        for name in settings.FRONTLINE_TASK_QUEUES:
            queue = django_rq.get_queue(name, job_class=Job)
            registry = queue.scheduled_job_registry
            while job_ids := registry.get_jobs_to_schedule(timestamp, chunk_size=CHUNK):
                with redis.pipeline() as pipe:
                    for job_id, job in zip(job_ids, Job.fetch_many(job_ids, connection=redis), strict=True):
                        if job is not None:  # None: deleted meanwhile, and only its id left to drop
                            queue.enqueue_job(job, pipeline=pipe)
                            moved += 1
                        registry.remove(job_id, pipeline=pipe)
                    pipe.execute()
        return moved
    finally:
        lock.release()
