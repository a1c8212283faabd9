"""A field the API does not know is refused with a 422 that names it, on every endpoint that takes a body
(issue 20, item 10): {"assignee": 4} once answered 200 and unassigned the case."""

import json
import re

import pytest

from frontline.agents.services import issue_api_token
from frontline.api import api
from frontline.cases import services as cases

pytestmark = pytest.mark.django_db


def operations_with_a_body() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(found)


def test_the_api_has_bodies_to_check():
    assert len(operations_with_a_body()) >= 30


@pytest.mark.parametrize(("method", "path"), operations_with_a_body())
def test_every_body_refuses_a_field_it_does_not_know(client, ada, method, path):
    token = issue_api_token(ada, "t")[1]
    answer = getattr(client, method)(
        path,
        json.dumps({"zz_not_a_field": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    if path == "/api/v1/messages":  # a customer's message is stored before it is read: 400, and kept
        assert answer.status_code == 400 and answer.json()["stored_as"], answer.content[:300]
        assert answer.json()["detail"] == "unknown fields: zz_not_a_field"
        return
    assert answer.status_code == 422, (answer.status_code, answer.content[:300])
    assert "zz_not_a_field" in answer.json()["detail"]
    assert "zz_not_a_field" in {error["field"] for error in answer.json()["errors"]}


def test_assigning_with_a_misspelt_field_changes_nothing(client, priya, tom, sam):
    # given a case Tom owns
    case = cases.open_case(customer=sam, subject="Blog down", body="503", channel="email")
    cases.assign_case(case, assignee=tom, by=priya)
    token = issue_api_token(priya, "t")[1]
    # when an integration sends the owner under a name the API does not read
    answer = client.post(
        f"/api/v1/cases/{case.ref}/assign",
        json.dumps({"assignee": 4}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    # then it is refused, naming the field, and Tom still owns the case
    assert answer.status_code == 422 and answer.json()["detail"] == "unknown fields: assignee"
    case.refresh_from_db()
    assert case.assignee == tom
