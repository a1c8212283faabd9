"""The Correlation page and API, the incident page's evidence, postmortem and detach, and the case page's
incident panel, through a real client."""

import datetime
import json

from frontline.agents.services import issue_api_token
from frontline.cases import services as cases
from frontline.core import clock
from frontline.correlation import rules
from frontline.correlation.models import Proposal
from frontline.incidents import services as incidents
from frontline.incidents.models import CorrectiveAction, Incident, IncidentCase

NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def _api(client, agent):
    token = issue_api_token(agent, name="integration")[1]

    def call(method, path, body=None):
        return getattr(client, method)(
            f"/api/v1{path}",
            json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


def _burst(okafor, count=3):
    made = []
    for n, client in enumerate(okafor["clients"][:count]):
        with clock.frozen_at(NOW + n * MINUTE):
            made.append(
                cases.open_case(
                    customer=client,
                    subject="Mail rejected",
                    body="550 relay denied",
                    channel="email",
                    impact="down",
                    units=list(client.units.all()),
                )
            )
    return made


def test_rules_through_the_api_are_checked_and_a_lead_decides_a_proposal(client, okafor, priya, tom):
    lead, agent = _api(client, priya), _api(client, tom)
    refused = lead("post", "/correlation/rules", {"name": "r", "condition": "element.kind == 3"})
    assert refused.status_code == 400 and refused.json()["field"] == "condition"
    rule = {"name": "relay bursts", "condition": 'element.kind == "relay"', "min_count": 3, "mode": "on"}
    assert agent("post", "/correlation/rules", rule).status_code == 403
    saved = lead("post", "/correlation/rules", rule)
    assert saved.status_code == 201 and saved.json()["needs_approval"] is True
    _burst(okafor)
    [proposal] = lead("get", "/correlation/proposals").json()
    assert proposal["state"] == "pending" and proposal["why"].startswith("same relay smtp-2, 3 cases")
    assert (
        agent("post", f"/correlation/proposals/{proposal['id']}/decision", {"accept": True}).status_code
        == 403
    )
    decided = lead("post", f"/correlation/proposals/{proposal['id']}/decision", {"accept": True})
    assert decided.status_code == 200 and decided.json()["incident"].startswith("INC-")
    again = lead("post", f"/correlation/proposals/{proposal['id']}/decision", {"accept": False})
    assert again.status_code == 409
    [score] = agent("get", "/correlation/quality").json()
    assert score["rule"] == "relay bursts" and score["groups"] == 1 and score["precision"] is None


def test_the_correlation_page_shows_what_waits_and_saves_a_rule(client, okafor, priya):
    rules.save_rule(
        by=priya, name="relay bursts", condition='element.kind == "relay"', min_count=3, mode="on"
    )
    _burst(okafor)
    client.force_login(priya.user)
    page = client.get("/correlation/").content.decode()
    assert "same relay smtp-2, 3 cases in 2 minutes" in page and "Accept: open the incident" in page
    saved = client.post(
        "/correlation/rules",
        {
            "name": "switches",
            "condition": 'element.kind == "switch"',
            "min_count": "8",
            "window_minutes": "10",
            "mode": "shadow",
        },
    )
    assert saved.status_code == 302
    accepted = client.post(
        f"/correlation/proposals/{Proposal.objects.get().pk}/decide", {"decision": "accept"}
    )
    incident = Incident.objects.get()
    assert accepted.status_code == 302 and accepted["Location"] == f"/incidents/{incident.pk}/"


def test_the_incident_page_and_api_show_evidence_postmortem_and_detach(client, okafor, priya, tom):
    rules.save_rule(
        by=priya,
        name="relay bursts",
        condition='element.kind == "relay"',
        min_count=2,
        mode="on",
        needs_approval=False,
    )
    first, second, _ = _burst(okafor)
    incident = Incident.objects.get()
    client.force_login(tom.user)
    case_page = client.get(f"/cases/{first.ref}/").content.decode()
    assert 'id="incident-panel"' in case_page and "same relay smtp-2, 2 cases in 1 minute" in case_page
    detached = client.post(f"/incidents/{incident.pk}/detach", {"case": second.ref, "back": "case"})
    assert detached["Location"] == f"/cases/{second.ref}/"
    assert not IncidentCase.objects.filter(case=second).exists()
    api = _api(client, priya)
    found = api("get", f"/incidents/{incident.pk}/evidence").json()
    assert (
        found["cases"] == 2 and [m["why"] for m in found["key_messages"]] == ["first from this customer"] * 2
    )
    assert (
        api(
            "put", f"/incidents/{incident.pk}/postmortem", {"root_cause": "x", "cause_class": "change"}
        ).status_code
        == 409
    )
    with clock.frozen_at(NOW + 30 * MINUTE):
        incidents.resolve(incident, body="Fixed.", by=priya)
    written = api(
        "put", f"/incidents/{incident.pk}/postmortem", {"root_cause": "ACL", "cause_class": "change"}
    )
    assert written.status_code == 200 and written.json()["customers"] == 3
    action = api(
        "post",
        f"/incidents/{incident.pk}/postmortem/actions",
        {"kind": "prevent", "description": "Check the ACL in CI", "owner_id": tom.pk, "priority": "urgent"},
    )
    assert action.status_code == 201
    done = _api(client, tom)(
        "post",
        f"/incidents/actions/{action.json()['id']}/done",
        {"verification_kind": "test", "verification": ""},
    )
    assert done.status_code == 400 and done.json()["field"] == "verification"
    client.force_login(priya.user)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert (
        'id="evidence-timeline"' in page and "customer-minutes lost" in page and "Check the ACL in CI" in page
    )
    closed = client.post(
        f"/incidents/actions/{action.json()['id']}/done",
        {"verification_kind": "rehearsal", "verification": "game day"},
    )
    assert closed.status_code == 302 and CorrectiveAction.objects.get().status == "done"
