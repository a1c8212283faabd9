"""Gunicorn's configuration for the web role (`gunicorn --config python:frontline.operations.gunicorn`),
from the environment only. With FRONTLINE_LOG_FORMAT=json its access log is JSON too, with the request's
id and the path without its query (signed tokens ride in paths and queries: `logs.redact` takes them out)."""

import gc
import json
import os
from datetime import UTC, datetime

from django.db import DatabaseError, connections
from django.urls import get_resolver
from gunicorn.glogging import Logger

# The router's model code (scikit-learn, SciPy: about 3 s of a core to import), imported in the master so
# that the processes it forks have it: see preload_app.
import frontline.routing.classifier  # noqa: F401
from frontline.operations.logs import redact

bind = os.environ.get("FRONTLINE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FRONTLINE_WEB_WORKERS", "2"))
# Threads per process (gunicorn's gthread worker past 1): while a request waits on the database its process
# serves another. On the two shared cores of bench/RESULTS.md, beside a fan-out, 4 took the API from 97 to
# 119 messages/s and the fan-out's emails in 300 s from all 104,848 to 70,948, and the inbox waited longer
# (p50 73 -> 90 ms). Off (1) by default, like FRONTLINE_WORKER_NICENESS: a trade for where web and workers
# share cores.
threads = int(os.environ.get("FRONTLINE_WEB_THREADS", "1"))
timeout = int(os.environ.get("FRONTLINE_WEB_TIMEOUT", "30"))
# A process is replaced after this many requests (jittered, so not all at once): memory stays bounded
# whatever a library keeps.
max_requests = int(os.environ.get("FRONTLINE_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The application is loaded once, in the master, and the processes it forks share it: a process replaced
# after max_requests serves at once, where otherwise its first request waited 3 s for the imports above
# (with both processes replaced within seconds, the API stalled). Django connects to the database on first
# use, so no connection is made before the fork.
preload_app = True
accesslog = "-"
errorlog = "-"


def when_ready(server):
    """In the master, the application loaded, before any process is forked: what each process would
    otherwise do on its first request. The URL map imports the code of every page and API operation; the
    router's newest model is read from its files (0.4 s). Then the database connection that took is closed,
    so none is shared by the forked processes."""
    # Imported here: the models need Django set up, which loading the application (preload_app) has done.
    from frontline.routing.services import current_model

    server.log.info("imported the code of %d routes before forking", len(get_resolver().url_patterns))
    try:
        current_model()
    except DatabaseError as exc:  # the database not reachable yet: each process reads the model when it is
        server.log.warning("the router's model is read later: %s", exc)
    connections.close_all()
    # What the master holds is kept out of the forked processes' garbage collections: walking it would
    # copy every page it touches into each process, on its first full collection.
    gc.freeze()


class JsonAccessLog(Logger):
    """One JSON object a request, like the application's own lines (operations/logs.py)."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "logger": "gunicorn.access",
            "method": environ.get("REQUEST_METHOD", ""),
            "path": redact(environ.get("PATH_INFO", "")),
            "status": int(status),
            "bytes": getattr(resp, "sent", None) or 0,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": next((v for k, v in headers if k.lower() == "x-request-id"), ""),
        }
        self.access_log.info(json.dumps(entry))


if os.environ.get("FRONTLINE_LOG_FORMAT") == "json":
    logger_class = JsonAccessLog
