"""The JSON API: token authentication, the same services as the pages, and clear 4xx for bad input."""

import collections
import json

import pytest

from frontline.agents.services import issue_api_token, revoke_api_token
from frontline.api import api as ninja_api
from frontline.cases import services
from frontline.customers import services as customers

pytestmark = pytest.mark.django_db


@pytest.fixture
def tom_token(tom):
    _, plaintext = issue_api_token(tom, "helpdesk integration")
    return plaintext


@pytest.fixture
def api(client, tom_token):
    """A client that calls the API as Tom's integration."""

    class Api:
        def __init__(self, token):
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **params):
            return client.get(f"/api/v1{path}", params, headers=self.headers)

        def post(self, path, payload, raw=False):
            body = payload if raw else json.dumps(payload)
            return client.post(f"/api/v1{path}", body, content_type="application/json", headers=self.headers)

        def patch(self, path, payload):
            return client.patch(
                f"/api/v1{path}", json.dumps(payload), content_type="application/json", headers=self.headers
            )

    return Api(tom_token)


def test_without_a_token_the_api_answers_401_with_how_to_authenticate(client, sam):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]


def test_a_revoked_or_made_up_token_is_refused(client, tom):
    token, plaintext = issue_api_token(tom, "old")
    revoke_api_token(token)
    for value in (plaintext, "fl_madeup", "not-even-our-format"):
        assert (
            client.get("/api/v1/customers", headers={"Authorization": f"Bearer {value}"}).status_code == 401
        )


def test_the_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/{ref}/messages" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/messages"]  # channel intake


def test_the_schema_built_once_is_the_same_for_every_caller_and_none_can_change_it_for_the_next():
    first = ninja_api.get_openapi_schema()
    first["paths"].clear()  # a careless caller

    again = ninja_api.get_openapi_schema()
    assert "/api/v1/messages" in again["paths"]
    assert again == ninja_api._build_openapi_schema()


def test_no_two_schemas_of_the_api_share_a_name():
    """django-ninja names a schema in the OpenAPI document by its class's name alone: two classes of one
    name became one schema, and the other endpoint was documented (and fuzzed) with the wrong body or
    answer (ContactOut was both a contact point and a demand correction; RuleIn three kinds of rule)."""
    from pydantic import BaseModel

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    modules = collections.defaultdict(set)
    for cls in subclasses(BaseModel):
        if cls.__module__.startswith("frontline.") and cls.__module__.endswith(("api", "schema")):
            modules[cls.__name__].add(cls.__module__)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}
    documented = ninja_api.get_openapi_schema()["components"]["schemas"]
    assert {"DemandRuleIn", "GroupingRuleIn", "RuleIn", "DemandCorrectionOut", "ContactOut"} <= set(
        documented
    )


def test_create_read_and_update_a_customer(api):
    created = api.post("/customers", {"name": "Rivera Digital", "plan": "reseller", "monthly_value": "310"})
    assert created.status_code == 201
    customer_id = created.json()["id"]
    assert api.get(f"/customers/{customer_id}").json()["plan"] == "reseller"
    updated = api.patch(f"/customers/{customer_id}", {"tier": "priority"})
    assert updated.status_code == 200 and updated.json()["tier"] == "priority"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"plan": "business"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X", "plan": "platinum"}, "plan"),
        ({"name": "X", "monthly_value": -1}, "monthly_value"),
        ({"name": "X", "customer_since": "yesterday"}, "customer_since"),
    ],
)
def test_a_bad_customer_payload_gets_a_field_level_4xx_and_writes_nothing(api, payload, field):
    response = api.post("/customers", payload)
    assert response.status_code in (400, 422)
    body = response.json()
    fields = [body.get("field")] + [error["field"] for error in body.get("errors", [])]
    assert field in fields
    assert api.get("/customers").json()["items"] == []


def test_a_body_that_is_not_json_is_a_4xx(api):
    assert api.post("/customers", "{not json", raw=True).status_code in (400, 422)


@pytest.mark.parametrize(
    "path",
    [
        "/customers/424242",
        "/customers/99999999999999999999999",
        "/customers/abc",
        "/cases/C-424242",
        "/cases/nonsense",
        "/people/0/contacts",
    ],
)
def test_unknown_or_impossible_ids_are_4xx_never_500(api, path):
    assert 400 <= api.get(path).status_code < 500


def test_people_contacts_and_units_through_the_api(api, sam):
    person = api.post(f"/customers/{sam.pk}/people", {"name": "Jo Walker", "role": "technical"}).json()
    contact = api.post(
        f"/people/{person['id']}/contacts", {"kind": "email", "value": "jo@walkerblog.example"}
    )
    assert contact.status_code == 201 and contact.json()["state"] == "unverified"
    bad = api.post(f"/people/{person['id']}/contacts", {"kind": "email", "value": "nope"})
    assert bad.status_code == 400 and bad.json()["field"] == "value"
    account = api.get(f"/customers/{sam.pk}/units").json()[0]
    unit = api.post(
        f"/customers/{sam.pk}/units",
        {"kind": "site", "name": "shop.walkerblog.example", "parent_id": account["id"]},
    )
    assert unit.status_code == 201 and unit.json()["parent_id"] == account["id"]
    names = [m["person"]["name"] for m in api.get(f"/customers/{sam.pk}/people").json()]
    assert names == ["Sam Walker", "Jo Walker"]


def test_lookup_through_the_api(api, sam):
    assert [c["name"] for c in api.get("/customers/lookup", q="walkerblog.example").json()] == ["Sam Walker"]


def test_open_a_case_and_read_its_explained_priority(api, sam, blog):
    response = api.post(
        "/cases",
        {
            "customer_id": sam.pk,
            "subject": "Blog down",
            "body": "503",
            "impact": "down",
            "unit_ids": [blog.pk],
        },
    )
    assert response.status_code == 201
    case = api.get(f"/cases/{response.json()['ref']}").json()
    assert case["priority"] > 0 and case["priority_explanation"][0]["term"] == "impact"
    assert case["customer_name"] == "Sam Walker"
    # with its clocks, and where the router put it: no topic given and no model trained, so triage
    assert [c["name"] for c in case["clocks"]] == ["first response", "resolution"]
    assert case["clocks"][0]["state"] == "running" and case["clocks"][0]["target_minutes"] == 120
    assert case["routing_explanation"]["pool"] == "triage" and case["similar_cases"] == []
    assert [c["ref"] for c in api.get("/cases", who="triage").json()["items"]] == [case["ref"]]


def test_override_the_priority_and_set_the_topic_through_the_api(api, sam, tom):
    ref = api.post(
        "/cases", {"customer_id": sam.pk, "subject": "Slow", "body": "slow", "impact": "degraded"}
    ).json()["ref"]
    refused = api.post(f"/cases/{ref}/priority-override", {"points": 50, "hours": 2, "reason": ""})
    assert refused.status_code == 422
    assert (
        api.post(f"/cases/{ref}/priority-override", {"points": 50, "hours": 2000, "reason": "x"}).status_code
        == 422
    )
    done = api.post(f"/cases/{ref}/priority-override", {"points": 50, "hours": 2, "reason": "launch today"})
    assert done.status_code == 200
    assert any(
        t["term"] == "override" and "launch today" in t["reason"] for t in done.json()["priority_explanation"]
    )
    assert api.post(f"/cases/{ref}/topic", {"topic": "telepathy"}).status_code == 404
    routed = api.post(f"/cases/{ref}/topic", {"topic": "web-hosting"}).json()
    assert routed["topic"] == "web-hosting" and routed["topic_confidence"] is None
    assert routed["assignee_id"] == tom.pk and routed["routing_explanation"]["reason"].startswith(
        "Tom Becker"
    )


def test_a_case_for_someone_elses_unit_is_refused(api, sam):
    other = customers.create_customer(name="Castle")
    unit = customers.add_unit(other, kind="line", name="FTTP-1")
    response = api.post("/cases", {"customer_id": sam.pk, "subject": "x", "body": "y", "unit_ids": [unit.pk]})
    assert response.status_code == 400 and response.json()["field"] == "units"


def test_an_agent_replies_and_notes_through_the_api(api, sam, sam_person, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = services.open_case(customer=sam, requester=sam_person, subject="Help", body="x", channel="email")
    reply = api.post(f"/cases/{case.ref}/messages", {"body": "We are on it"})
    assert reply.status_code == 201 and reply.json()["direction"] == "out" and reply.json()["sent_at"]
    note = api.post(f"/cases/{case.ref}/messages", {"body": "internal", "internal": True})
    assert note.json()["direction"] == "internal"
    assert len(api.get(f"/cases/{case.ref}/messages").json()) == 3
    assert api.post(f"/cases/{case.ref}/messages", {"body": ""}).status_code == 422


def test_an_agents_token_cannot_give_a_case_to_someone_else(api, sam, priya):
    case = services.open_case(customer=sam, subject="Help", body="x", channel="email")
    response = api.post(f"/cases/{case.ref}/assign", {"assignee_id": priya.pk})
    assert response.status_code == 403
    assert api.post(f"/cases/{case.ref}/assign", {"assignee_id": None}).status_code == 200


def test_status_changes_through_the_api_explain_refusals(api, sam):
    case = services.open_case(customer=sam, subject="Help", body="x", channel="email")
    refused = api.post(f"/cases/{case.ref}/status", {"status": "resolved"})
    assert refused.status_code == 400 and refused.json()["field"] == "resolution_notes"
    done = api.post(f"/cases/{case.ref}/status", {"status": "resolved", "resolution_notes": "Reset the pool"})
    assert done.json()["status"] == "resolved" and done.json()["is_open"] is False


def test_the_case_list_pages_by_cursor_in_priority_order(api, sam):
    for n in range(7):
        services.open_case(
            customer=sam,
            subject=f"Case {n}",
            body="x",
            channel="email",
            impact="down" if n == 3 else "question",
        )
    first = api.get("/cases", limit=5).json()
    assert first["items"][0]["subject"] == "Case 3" and first["next"]
    rest = api.get("/cases", limit=5, after=first["next"]).json()
    assert len(first["items"]) + len(rest["items"]) == 7 and rest["next"] is None
    assert api.get("/cases", after="garbage").status_code == 400
    assert api.get("/cases", limit=1000).status_code == 422
    assert api.get("/cases", status="medium").status_code == 400


def test_api_list_query_count_does_not_grow_with_the_data(api, sam, django_assert_num_queries):
    for n in range(3):
        services.open_case(customer=sam, subject=f"Case {n}", body="x", channel="email")
    api.get("/cases")  # the token's first use of the minute records it; later calls only read
    with django_assert_num_queries(2):  # the token, the page of cases (with customer and topic joined)
        api.get("/cases")
    for n in range(60):
        services.open_case(customer=sam, subject=f"More {n}", body="x", channel="email")
    with django_assert_num_queries(2):
        api.get("/cases")


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/customers", {"name": "Bad\u0000name"}),
        ("get", "/cases", {"q": "abc\x00def"}),
        ("get", "/customers/lookup", {"q": "a\x00b"}),
        ("get", "/cases", {"topic": "dns\x00"}),
    ],
)
def test_a_nul_character_is_a_clear_400_on_every_database(api, sam, method, path, payload):
    # PostgreSQL cannot store NUL in text; without the check this was a 500 there
    response = api.post(path, payload) if method == "post" else api.get(path, **payload)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert not api.get("/customers").json()["items"][1:]  # only Sam: nothing was written


def test_a_backslash_before_u0000_is_just_text(api):
    response = api.post("/customers", {"name": "C:\\u0000 Ltd"})  # a backslash, then the letters u0000
    assert response.status_code == 201 and response.json()["name"] == "C:\\u0000 Ltd"
