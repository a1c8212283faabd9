"""Structured logs: one JSON object a line, carrying the id of the request or job it belongs to.

`FRONTLINE_LOG_FORMAT=json` chooses it (a deployment's log collector reads it); plain lines stay the default
for a person at a terminal. A request's id comes from the `X-Request-ID` header its proxy set, or is made
here, and is answered in the same header so a customer's complaint can be found in every process's log. A
job's id is set while it runs, by django-tasks' `task_started` and `task_finished` signals (sent by RQ's
backend and by our worker alike).

Logs carry no secrets and no message bodies: our own lines name rows by id, and whatever an exception
quotes passes through `redact`, which removes bearer tokens, passwords and signed-link tokens.

Settings load this module (the logging configuration names its formatter) before the app registry is
ready: nothing here may import a model.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("frontline_request_id", default="")
job_id: contextvars.ContextVar[str] = contextvars.ContextVar("frontline_job_id", default="")

# A proxy's request id is taken as it is only when it looks like one: it is written into every log line.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_SECRETS = [
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+|=)[^\s,;\"']+"), r"\1\2[redacted]"),
    (re.compile(r"(?i)\b(password|passwd|secret|api_key|apikey)(\s*[=:]\s*)[^\s,;&\"']+"), r"\1\2[redacted]"),
    (re.compile(r"(?i)(\w+://[^:/@\s]*:)[^@\s]+@"), r"\1[redacted]@"),  # a password inside a URL
    (re.compile(r"(/(?:ack|verify|confirm|enter|open|feed|calendar)/)[\w:.-]{16,}"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if request_id.get():
            entry["request_id"] = request_id.get()
        if job_id.get():
            entry["job_id"] = job_id.get()
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RequestId:
    """Middleware: the request's id for every log line written while it is served, and in its answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        identity = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(identity)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = identity
        return response


def job_started(sender, task_result, **kwargs) -> None:
    job_id.set(str(task_result.id))


def job_finished(sender, task_result, **kwargs) -> None:
    job_id.set("")
