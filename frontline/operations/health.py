"""Whether this process can do its work: the database, the cache and the task queue, each checked for real
(a query, a write and read back, a ping), each with the words of its failure. Nothing here holds a secret or
a customer's data, so a load balancer may ask without signing in."""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from frontline.scheduling.backend import on_rq
from frontline.scheduling.models import Job

PROBE_KEY = "frontline:readyz"
log = logging.getLogger(__name__)


@dataclass
class Check:
    name: str
    ok: bool
    # The kind of failure (the exception's class) for whoever asks; its words, which can name hosts and
    # ports, go to the log only.
    detail: str = ""


def _run(name: str, probe) -> Check:
    try:
        probe()
    except Exception as exc:
        log.warning("readiness: the %s is not reachable: %s", name, exc)
        return Check(name, False, type(exc).__name__)
    return Check(name, True)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set(PROBE_KEY, "1", timeout=10)
    if cache.get(PROBE_KEY) != "1":
        raise RuntimeError("a value written to the cache did not read back")


def _queue() -> None:
    if on_rq():
        # Only this deployment has RQ installed and configured: imported where it is the queue.
        from django_rq import get_connection

        get_connection("default").ping()
    else:  # the durable backend's queue is a table in the database
        list(Job.objects.order_by().values_list("pk", flat=True)[:1])


def readiness() -> list[Check]:
    return [_run("database", _database), _run("cache", _cache), _run("queue", _queue)]
