"""Gunicorn's configuration for the web role (`gunicorn --config python:frontline.operations.gunicorn`),
from the environment only. With FRONTLINE_LOG_FORMAT=json its access log is JSON too, with the request's
id and the path without its query (signed tokens ride in paths and queries: `logs.redact` takes them out)."""

import json
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from frontline.operations.logs import redact

bind = os.environ.get("FRONTLINE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FRONTLINE_WEB_WORKERS", "2"))
timeout = int(os.environ.get("FRONTLINE_WEB_TIMEOUT", "30"))
# A process is replaced after this many requests (jittered, so not all at once): memory stays bounded
# whatever a library keeps.
max_requests = int(os.environ.get("FRONTLINE_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"


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
