"""Support for tests that start real processes and peers: the environment a worker needs to use the
test's database, waiting for a condition, and a loopback HTTP receiver (SMS gateway, voice provider,
a customer's webhook endpoint)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks.signals import task_finished

from frontline.operations.processes import DURABLE_WORKER, ROLES
from frontline.portal.visitor import SESSION_KEY
from frontline.scheduling.backend import on_rq
from frontline.scheduling.delayed import release_due


def files_in(folder) -> dict:
    """The settings that keep a test's files (attachments, trained models, the shared cache) in `folder`."""
    return {
        "ATTACHMENTS_DIR": folder / "attachments",
        "FRONTLINE_ROUTER_DIR": str(folder / "models"),
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(folder / "cache"),
            }
        },
    }


@contextmanager
def held_for_module(django_db_blocker, folder):
    """Data that takes seconds to build, built once for a module's tests instead of once for each: inside a
    transaction that each test's own (then a savepoint) nests in, rolled back when the module is done, with
    its files in `folder` (a test that uses the data points its settings there with `files_in`). Not for a
    module with transactional tests: the flush after one would empty what is held."""
    with override_settings(**files_in(folder)), django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def worker_env(**extra) -> dict:
    """The environment for a real worker process that must use this test's database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{host}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "frontline.settings", **extra}


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """What a loopback HTTP server received. `answers` maps a path prefix to (status, seconds to wait)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answers: dict[str, tuple[int, float]] = field(default_factory=dict)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def to(self, prefix: str) -> list[Received]:
        return [r for r in self.requests if r.path.startswith(prefix)]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            receiver.arrived.set()
            status, delay = next(
                (answer for prefix, answer in receiver.answers.items() if self.path.startswith(prefix)),
                (200, 0.0),
            )
            time.sleep(delay)
            payload = b'{"ok": true}' if status < 400 else b'{"error": "refused by the test receiver"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a timeout test): nothing to answer
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    # Polled every 50 ms for a shutdown (the default half second was most of many tests' teardown).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return receiver, server


def uses_rq() -> bool:
    return on_rq()


def run_queued_jobs() -> int:
    """Run every job that is due now, in this process, on whichever task backend is configured."""
    if uses_rq():
        import django_rq
        from rq import SimpleWorker

        release_due()  # as the recurring-jobs process would now: the delayed jobs due by the shared clock

        worker = django_rq.get_worker(
            *settings.FRONTLINE_TASK_QUEUES, job_class="django_tasks_rq.Job", worker_class=SimpleWorker
        )
        # Counted as they finish: RQ keeps its worker's counts in Redis, not on the object `work` returns.
        finished = []

        def count(sender, task_result, **kwargs):
            finished.append(task_result.id)

        task_finished.connect(count)
        try:
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        finally:
            task_finished.disconnect(count)
        return len(finished)
    from datetime import timedelta

    # Only for the durable backend: RQ's test runs never load the worker's models.
    from frontline.scheduling.worker import run_worker

    return run_worker(worker_id="test", lease=timedelta(minutes=5), stop_when_idle=True, periodic=False)


def queued_task_paths() -> list[str]:
    """Dotted paths of the tasks waiting in the queue, in the order a worker takes them."""
    if uses_rq():
        import django_rq

        queues = [django_rq.get_queue(name) for name in settings.FRONTLINE_TASK_QUEUES]
        return [job.func_name for queue in queues for job in queue.jobs]
    # Only for the durable backend, as above.
    from frontline.scheduling.models import Job, JobStatus
    from frontline.scheduling.worker import in_serving_order

    waiting = Job.objects.filter(status=JobStatus.READY).order_by(*in_serving_order())
    return list(waiting.values_list("task_path", flat=True))


def worker_commands(name: str) -> list[list[str]]:
    """The processes that run jobs as a deployment would (its roles, `operations.processes.ROLES`): first
    the one that runs the jobs (a test may kill it), then, on RQ, the one that enqueues recurring jobs."""
    if uses_rq():
        return [
            role_command("worker", "--name", f"{name}-{os.getpid()}"),
            role_command("periodic", "--poll", "0.2", "--worker-id", f"{name}-periodic"),
        ]
    return [role_command("durable-worker", "--poll", "0.2", "--lease", "3", "--worker-id", name)]


def role_command(role: str, *extra: str) -> list[str]:
    """A deployment role's command (`operations.processes`) as this test's Python runs it."""
    program, *args = DURABLE_WORKER if role == "durable-worker" else ROLES[role]
    if program == "gunicorn":
        return [sys.executable, "-m", "gunicorn", *args, *extra]
    return [sys.executable, "-m", "frontline.cli", *args, *extra]


def stop_process(process: subprocess.Popen, *, seconds: float = 20) -> None:
    """Ask a started process to stop (SIGTERM, as a supervisor does); kill it if it will not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def empty_queues() -> None:
    """Between tests on RQ: nothing left over from the last test (the suite's Redis database is its own)."""
    if uses_rq():
        import django_rq

        django_rq.get_connection("default").flushdb()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_client(visitor) -> Client:
    """A browser whose session holds a portal visitor (frontline.portal.visitor), as signing in or opening a
    link we sent leaves it."""
    from django.test import Client

    client = Client()
    session = client.session
    visitor.until = (timezone.now() + timedelta(hours=1)).timestamp()
    session[SESSION_KEY] = visitor.__dict__
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def query_plan(queryset) -> str:
    """The plan the database makes for a query set, as text. On PostgreSQL sequential scans are ruled out
    first: a test's few rows are scanned whatever the indexes, and the question is which index serves."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan")
    return plan
