"""The policy API through a real client: rules checked at save with 400s that point at the fault, events in,
decisions out, overrides refused without authority. Never a 500."""

import pytest

from frontline.agents.services import issue_api_token
from frontline.core import clock
from frontline.policy.models import Decision, PolicyEvent
from frontline.policy.tests.conftest import T0

pytestmark = pytest.mark.django_db


def _as(client, agent):
    token = issue_api_token(agent, name="integration")[1]

    def call(method, path, body=None):
        return getattr(client, method)(
            f"/api/v1{path}", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    return call


def test_a_rule_with_a_type_error_is_refused_with_its_position_and_a_good_one_saved(client, nadia):
    api = _as(client, nadia)
    rule = {
        "name": "Suspend late payers",
        "trigger": "payment_overdue",
        "action": "suspend",
        "severity": "notice",
    }
    refused = api("post", "/policy/rules", {**rule, "condition": "event.days_overdue >= '30'"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "condition" and "line 1, column 20" in refused.json()["detail"]
    saved = api("post", "/policy/rules", {**rule, "condition": "event.days_overdue >= 30"})
    assert saved.status_code == 201 and saved.json()["version"] == 1
    changed = api(
        "put", f"/policy/rules/{saved.json()['id']}", {**rule, "condition": "event.days_overdue >= 45"}
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2


def test_a_scan_through_the_api_decides_per_site_and_the_case_shows_the_history(
    client, nadia, priya, rivera, scan_rule
):
    api = _as(client, nadia)
    with clock.frozen_at(T0):
        answer = api(
            "post",
            "/policy/scans",
            {
                "scanner": "maldet",
                "scan_id": "run-81",
                "results": [
                    {"unit": {"name": "client07.rivera-sites.example"}, "infected": True, "confidence": 0.97},
                    {"unit": {"name": "client08.rivera-sites.example"}, "infected": False},
                    {"unit": {"name": "nowhere.example"}, "infected": True},
                ],
            },
        )
    assert answer.status_code == 201
    judged, clean, unknown = answer.json()
    assert len(judged["decisions"]) == 1 and clean["decisions"] == [] and unknown["status"] == "unmatched"
    decision = Decision.objects.get()
    history = api("get", f"/cases/{decision.case.ref}/decisions").json()
    assert [d["unit"] for d in history] == ["client07.rivera-sites.example"] and history[0][
        "status"
    ] == "scheduled"
    # a team lead's override shows on the decision
    lead = _as(client, priya)(
        "post",
        f"/policy/decisions/{decision.pk}/override",
        {"kind": "do_less", "action": "require_cleanup", "reason": "they are cleaning it"},
    )
    assert lead.status_code == 200 and lead.json()["status"] == "overridden"
    assert lead.json()["overrides"][0]["reason"] == "they are cleaning it"


def test_refusals_are_4xx_with_a_message(client, tom, nadia, rivera, scan_rule):
    api, reporter = _as(client, tom), _as(client, nadia)
    with clock.frozen_at(T0):
        reporter(
            "post",
            "/policy/scans",
            {
                "scanner": "m",
                "scan_id": "1",
                "results": [{"unit": {"name": "client07.rivera-sites.example"}, "infected": True}],
            },
        )
    decision = Decision.objects.get()
    no_authority = api(
        "post",
        f"/policy/decisions/{decision.pk}/override",
        {"kind": "do_less", "action": "notify", "reason": "x"},
    )
    assert no_authority.status_code == 403 and "override rules" in no_authority.json()["detail"]
    wrong_fact = reporter(
        "post",
        "/policy/events",
        {
            "events": [
                {
                    "trigger": "malware_scan",
                    "facts": {"files": "many"},
                    "unit": {"name": "client07.rivera-sites.example"},
                }
            ]
        },
    )
    assert wrong_fact.status_code == 400 and wrong_fact.json()["field"] == "facts.files"
    unknown_fact = reporter(
        "post",
        "/policy/events",
        {"events": [{"trigger": "malware_scan", "facts": {"colour": "red"}, "unit": {"name": "x"}}]},
    )
    assert unknown_fact.status_code == 400 and "has no fact 'colour'" in unknown_fact.json()["detail"]
    assert PolicyEvent.objects.count() == 1  # the refused batches stored nothing
    bad_billing = reporter(
        "post", "/policy/billing", {"kind": "refund", "customer_id": rivera.pk, "invoice": "I"}
    )
    assert bad_billing.status_code == 400
    no_target = reporter("post", "/policy/abuse-reports", {"category": "spam"})
    assert no_target.status_code == 400 and no_target.json()["field"] == "source_ip"
    assert api("get", "/policy/decisions/99999").status_code == 404
    not_a_rule_writer = api(
        "post",
        "/policy/rules",
        {"name": "x", "trigger": "malware_scan", "condition": "true", "action": "notify"},
    )
    assert not_a_rule_writer.status_code == 403
    assert api("get", "/policy/rules-to-fix").json()[0]["fired"] == 1
