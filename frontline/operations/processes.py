"""The processes of a deployment beyond one machine, by role: the one list that deploy/'s Compose file and
systemd units spell out (a test reads them back and compares) and that the scale-out tests start.

Every role reads its configuration from the environment only (DATABASE_URL, FRONTLINE_REDIS_URL,
FRONTLINE_TASKS_BACKEND, ...; README lists them), so one environment file serves every machine.
"""

import os

from django.conf import settings  # read lazily: settings.py imports this module

# The task queues in the order a worker serves them: a notification ladder's rungs ("notices") before
# everything else (acknowledgements of new messages above all): a busy hour's intake must not hold back an
# outage notice. Settings configure these queues; the worker role names them in this order.
TASK_QUEUES = ("notices", "default")

ROLES: dict[str, list[str]] = {
    # Schema changes, once per release, before the new processes start.
    "migrate": ["frontline", "migrate", "--no-input"],
    # The pages and the API; bind address, processes and threads from FRONTLINE_BIND, FRONTLINE_WEB_WORKERS,
    # and FRONTLINE_WEB_THREADS.
    "web": ["gunicorn", "--config", "python:frontline.operations.gunicorn", "frontline.wsgi"],
    # Jobs (notification rungs, acknowledgements, webhooks...) from Redis. SimpleWorker runs each job in the
    # worker itself: forking a work horse per job costs more than most jobs (a rung is a few milliseconds),
    # and durability rests on the database rows a job claims, not on the process. Verbosity 0: RQ's own
    # lines at warning and above only (at info it writes three lines a job: 900 a second at full sending).
    "worker": [
        "frontline",
        "rqworker",
        "--verbosity",
        "0",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
        *TASK_QUEUES,
    ],
    # The queue's clock: recurring jobs put on the queue when due (one or more: each slot is won by one), and
    # on RQ the jobs put off until a time (scheduling/delayed.py).
    "periodic": ["frontline", "worker", "--periodic-only"],
    # Mail delivered by SMTP or LMTP: stored before 250, read in the listener's own thread.
    "smtpd": ["frontline", "smtpd"],
    # Mail fetched from a mailbox, for providers whose mail sits in one (FRONTLINE_IMAP_*).
    "imap": ["frontline", "imap-poll"],
}

# On one machine with the durable queue (the database's job table, no Redis), one process runs the jobs and
# the recurring ones: `make demo` and the suite's worker tests on SQLite start it.
DURABLE_WORKER = ["frontline", "worker"]


def yield_cpu_if_job_runner(args: list[str]) -> None:
    """A process that runs queued jobs takes FRONTLINE_WORKER_NICENESS before it starts: where it shares
    cores with the web role, a request someone is waiting on goes first and the queue takes what is left.
    The recurring-jobs process keeps its priority: it is the queue's clock, and costs little."""
    if not args or args[0] not in ("rqworker", "worker") or "--periodic-only" in args:
        return
    wanted = min(settings.FRONTLINE_WORKER_NICENESS, 19)
    if wanted > os.getpriority(os.PRIO_PROCESS, 0):  # only ever lower: raising needs privileges
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
