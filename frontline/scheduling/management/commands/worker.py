import signal
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from frontline.core.processes import stopping
from frontline.scheduling.worker import run_worker


class Command(BaseCommand):
    help = "Run durable jobs as they fall due, and the recurring ones, until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--lease",
            type=float,
            default=settings.TASK_LEASE_SECONDS,
            help="Seconds a claimed job is held before another worker may take it over",
        )
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds to sleep when nothing is due")
        parser.add_argument("--burst", action="store_true", help="Stop when nothing is due")
        parser.add_argument("--no-periodic", action="store_true", help="Do not enqueue recurring jobs")
        parser.add_argument(
            "--periodic-only",
            action="store_true",
            help="Only enqueue recurring jobs (when another backend's workers, like RQ's, run the jobs)",
        )
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, **options):
        stop = stopping

        def finish_then_stop(signum, frame):
            if stop.is_set():  # asked twice: stop now (a claimed job is run again when its lease ends)
                raise SystemExit(128 + signum)
            stop.set()

        # SIGTERM or Ctrl-C: the job in hand is finished (a long one at its next chunk), then the worker
        # and its helpers exit.
        signal.signal(signal.SIGTERM, finish_then_stop)
        signal.signal(signal.SIGINT, finish_then_stop)
        ran = run_worker(
            stop=stop,
            worker_id=options["worker_id"],
            lease=timedelta(seconds=options["lease"]),
            poll_seconds=options["poll"],
            stop_when_idle=options["burst"],
            periodic=not options["no_periodic"],
            jobs=not options["periodic_only"],
        )
        self.stdout.write(f"ran {ran} jobs")
