"""Schemathesis against the API served for real on 127.0.0.1: for every operation, generated requests (valid
and not) never get a 5xx, and every answer is one the schema declares, in the shape it declares."""

import pytest
import schemathesis
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
def test_the_api_never_fails_and_answers_as_its_schema_says(case, live_server, lead_token, settings):
    settings.FRONTLINE_BAD_TOKEN_RATE = 10_000
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {lead_token}"},
        checks=CHECKS,
    )
