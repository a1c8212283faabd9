"""Schemathesis against the API served for real on 127.0.0.1: for every operation, generated requests (valid
and not) never get a 5xx, and every answer is one the schema declares, in the shape it declares."""

import pytest
import schemathesis
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frontline.agents.services import issue_api_token
from frontline.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class OneThreadServer(WSGIServer):
    """Requests one after another on the server's own thread, which keeps its database connection:
    Django's live server answers each request in a new thread with a new connection, 17 ms a request on
    PostgreSQL, and these tests make about ten thousand."""

    def __init__(self, *args, connections_override=None, **kwargs):
        # The override shares an in-memory SQLite connection; the tests' databases are files or PostgreSQL.
        super().__init__(*args, **kwargs)


class OneThreadLiveServer(LiveServerThread):
    server_class = OneThreadServer


@pytest.fixture(scope="module")
def api_server():
    """The whole site served for real on 127.0.0.1, as the live server does, for this module's tests."""
    server = OneThreadLiveServer("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()


@pytest.fixture
def lead_token(priya, sam, sam_person):
    """A team lead's token, and a customer with a person, for the ids the generator happens to hit."""
    return issue_api_token(priya, "schemathesis")[1]


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is a failure every time
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_answers_as_its_schema_says(case, api_server, lead_token, settings):
    settings.FRONTLINE_BAD_TOKEN_RATE = 10_000
    case.call_and_validate(
        base_url=api_server,
        headers={"Authorization": f"Bearer {lead_token}"},
        checks=CHECKS,
    )
