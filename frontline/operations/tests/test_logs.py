"""Structured logs: one JSON object a line with the id of the request or job it belongs to, and nothing
secret in it, whatever an exception quotes."""

import io
import json
import logging

import pytest
from django.test import override_settings

from frontline.intake.tasks import process_pending_messages
from frontline.operations.logs import JsonFormatter, redact
from frontline.scheduling.models import Job, JobStatus
from frontline.tests.helpers import free_port, run_queued_jobs, uses_rq


@pytest.fixture
def json_lines():
    """Every line logged during the test, as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_line_logged_while_serving_carries_the_request_id_the_answer_names(client, json_lines):
    # given a cache that cannot be reached, so that /readyz logs why
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:hunter2@127.0.0.1:{free_port()}/0",
        }
    }
    # when a load balancer asks, through a proxy that named the request
    with override_settings(CACHES=unreachable):
        response = client.get("/readyz", HTTP_X_REQUEST_ID="lb-7f3a9c2e")
    # then the answer names the request and so does the warning logged while serving it
    assert response.status_code == 503 and response["X-Request-ID"] == "lb-7f3a9c2e"
    [line] = [line for line in json_lines() if line["logger"] == "frontline.operations.health"]
    assert line["request_id"] == "lb-7f3a9c2e" and line["level"] == "WARNING"
    assert "cache is not reachable" in line["message"]


@pytest.mark.django_db
def test_a_request_without_an_id_gets_one_and_a_strange_one_is_replaced(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID='bad id" {}')["X-Request-ID"]
    assert replaced != 'bad id" {}' and len(replaced) == 32


@pytest.mark.skipif(uses_rq(), reason="the durable worker's job rows; RQ sends the same signal itself")
@pytest.mark.django_db
def test_a_line_logged_while_a_job_runs_carries_the_job_id(json_lines):
    # given a job that will fail (an argument its task does not take)
    result = process_pending_messages.enqueue(unexpected=1)
    # when a worker runs it
    run_queued_jobs()
    # then the failure is logged, as JSON, with the job's id; and after it no line carries it
    assert Job.objects.get(pk=result.id).status == JobStatus.FAILED
    [failed] = [line for line in json_lines() if line["level"] == "ERROR"]
    assert failed["job_id"] == str(result.id) and "TypeError" in failed["exception"]
    logging.getLogger("frontline.test").warning("after the job")
    assert "job_id" not in json_lines()[-1]


def test_secrets_are_redacted_from_what_an_exception_quotes():
    said = (
        "POST failed: Authorization: Bearer fl_9s8d7f6g5h4j3k2l redis://:hunter2@10.0.0.5:6379/0 "
        "password=swordfish https://support.example/notify/ack/eyJhbGciOiJIUzI1NiJ9abcdefgh/ api_key: k-123"
    )
    cleaned = redact(said)
    for secret in ("fl_9s8d7f6g5h4j3k2l", "hunter2", "swordfish", "eyJhbGciOiJIUzI1NiJ9abcdefgh", "k-123"):
        assert secret not in cleaned
    assert "POST failed" in cleaned and "10.0.0.5:6379" in cleaned
