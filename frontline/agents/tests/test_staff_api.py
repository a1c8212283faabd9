"""The API a provider integrates with: staff, teams, skills, allowances and tokens (admins), a unit's state
and reach, phone calls, and reading a case's timeline, a customer's cases, to-dos, notifications and
evidence."""

import io
import json

import pytest
from django.core.management import call_command

from frontline.agents.models import Agent, ApiToken
from frontline.cases import services as cases
from frontline.events.models import Event

pytestmark = pytest.mark.django_db


def _json(client, method: str, path: str, body: dict | None = None, token: str = ""):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(path, data, content_type="application/json", **headers)


def test_an_admin_manages_staff_teams_skills_and_tokens_through_the_api(client, ada, tom, web_hosting):
    client.force_login(ada.user)
    team = _json(
        client, "post", "/api/v1/teams", {"name": "Night shift", "time_zone": "Europe/Berlin"}
    ).json()
    skill = _json(client, "post", "/api/v1/skills", {"slug": "dns", "name": "DNS"}).json()
    created = _json(
        client,
        "post",
        "/api/v1/agents",
        {
            "username": "lena",
            "display_name": "Lena Vogt",
            "password": "a-long-enough-password",
            "team_id": team["id"],
            "skills": {"dns": 4, "web-hosting": 2},
        },
    )
    assert created.status_code == 201 and created.json()["skills"] == {"dns": 4, "web-hosting": 2}
    lena = created.json()["id"]
    changed = _json(
        client,
        "patch",
        f"/api/v1/agents/{lena}",
        {"role": "team_lead", "skills": {"dns": 5}, "goodwill_allowance": "50.00", "capacity": 12},
    ).json()
    assert (changed["role"], changed["skills"], changed["goodwill_allowance"], changed["capacity"]) == (
        "team_lead",
        {"dns": 5},
        "50.00",
        12,
    )
    assert Event.objects.filter(kind="agent.changed", data__agent_id=lena).exists()
    # a skill nobody defined is refused with its name
    refused = _json(client, "patch", f"/api/v1/agents/{lena}", {"skills": {"ipv6": 3}})
    assert refused.status_code == 400 and "no skill ipv6" in refused.json()["detail"]
    # a token is shown once, works, and stops when revoked
    issued = _json(client, "post", f"/api/v1/agents/{lena}/tokens", {"name": "night bridge"}).json()
    assert issued["token"].startswith("fl_") and skill["slug"] == "dns"
    assert _json(client, "get", "/api/v1/cases", token=issued["token"]).status_code == 200
    assert _json(client, "delete", f"/api/v1/tokens/{issued['id']}").json()["revoked"] is True
    client.logout()
    assert _json(client, "get", "/api/v1/cases", token=issued["token"]).status_code == 401


def test_an_agent_may_not_manage_staff(signed_in):
    assert _json(signed_in, "get", "/api/v1/agents").status_code == 403
    assert _json(signed_in, "post", "/api/v1/teams", {"name": "x"}).status_code == 403


def test_the_token_command_prints_a_token_that_acts_as_the_agent(client, tom):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "--agent", "tom", "--name", "billing bridge", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert token.startswith("fl_") and "Tom Becker" in err.getvalue()
    assert ApiToken.objects.get(name="billing bridge").agent == Agent.objects.get(user__username="tom")
    assert _json(client, "get", "/api/v1/todos", token=token).status_code == 200


def test_units_calls_and_a_customers_history_over_the_api(signed_in, sam, sam_person, blog, tom, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # a unit's state and reach
    unit = _json(
        signed_in, "patch", f"/api/v1/units/{blog.pk}", {"state": "down", "reason": "disk", "end_users": 2400}
    )
    assert unit.status_code == 200 and unit.json()["state"] == "down"
    blog.refresh_from_db()
    assert blog.end_users == 2400
    # a call either way lands on the case, and the timeline says so
    case = cases.open_case(customer=sam, requester=sam_person, subject="Down", body="down", channel="email")
    called = _json(
        signed_in,
        "post",
        f"/api/v1/cases/{case.ref}/calls",
        {
            "direction": "in",
            "number": "+44 7700 900456",
            "minutes": 4,
            "summary": "Sam says the blog is down",
        },
    )
    assert called.status_code == 201 and called.json()["channel"] == "phone"
    ours = _json(
        signed_in,
        "post",
        f"/api/v1/cases/{case.ref}/calls",
        {"direction": "out", "number": "+44 7700 900456", "summary": "Told Sam it is back", "reached": True},
    )
    assert ours.status_code == 201 and ours.json()["direction"] == "out"
    kinds = [e["kind"] for e in _json(signed_in, "get", f"/api/v1/cases/{case.ref}/timeline").json()]
    assert kinds[0] == "case.opened" and "case.call_logged" in kinds
    # and the customer's cases, notifications and evidence read back
    listed = _json(signed_in, "get", f"/api/v1/customers/{sam.pk}/cases").json()
    assert [c["ref"] for c in listed["items"]] == [case.ref]
    assert _json(signed_in, "get", f"/api/v1/customers/{sam.pk}/notifications").json() == []
    assert _json(signed_in, "get", f"/api/v1/customers/{sam.pk}/evidence").status_code == 200
    assert _json(signed_in, "get", "/api/v1/todos").status_code == 200
