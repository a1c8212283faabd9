"""The policy API through a real client: rules checked at save with 400s that point at the fault, events in,
decisions out, overrides refused without authority. Never a 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontline.agents.services import issue_api_token
from frontline.core import clock
from frontline.policy import overrides
from frontline.policy.models import Decision, PolicyEvent
from frontline.policy.tests.helpers import HOUR, T0, scan

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


def test_deciding_an_action_that_is_not_waiting_for_a_person_is_a_conflict(client, nadia, rivera, scan_rule):
    # given an action scheduled after notice (nobody needs to decide it)
    api = _as(client, nadia)
    with clock.frozen_at(T0):
        api(
            "post",
            "/policy/scans",
            {
                "scanner": "maldet",
                "scan_id": "run-82",
                "results": [
                    {"unit": {"name": "client07.rivera-sites.example"}, "infected": True, "confidence": 0.97}
                ],
            },
        )
    decision = Decision.objects.get()
    # when someone approves it anyway
    answer = api("post", f"/policy/decisions/{decision.pk}/decide", {"approve": True, "reason": "go ahead"})
    # then it is a 409 that says why, with its code, and nothing changed
    assert answer.status_code == 409
    assert answer.json()["code"] == "conflict" and "held" in answer.json()["detail"]
    decision.refresh_from_db()
    assert decision.status == "scheduled"


def _queries_for_case_decisions(client, api, case) -> tuple[int, list]:
    api("get", f"/cases/{case.ref}/decisions")  # the token's first use today is written once: not counted
    with CaptureQueriesContext(connection) as queries:
        answer = api("get", f"/cases/{case.ref}/decisions")
    assert answer.status_code == 200
    return len(queries), answer.json()


def test_a_cases_decision_history_costs_the_same_queries_however_many_decisions_and_overrides(
    client, nadia, priya, rivera, scan_rule
):
    # given one infected site's decision on the cleanup case, with an override
    api = _as(client, nadia)
    scan(("client07.rivera-sites.example", True))
    first = Decision.objects.get()
    with clock.frozen_at(T0):
        overrides.override_decision(
            first, kind="delay", by=priya, reason="on holiday", until=first.due_at + HOUR
        )
    one, history = _queries_for_case_decisions(client, api, first.case)
    assert [len(d["overrides"]) for d in history] == [1]
    # when two more sites' decisions join the same case, each overridden too
    scan(("client19.rivera-sites.example", True), ("client33.rivera-sites.example", True), batch="scan-2")
    for decision in list(Decision.objects.exclude(pk=first.pk)):
        later = decision.due_at + HOUR
        with clock.frozen_at(T0):
            overrides.override_decision(decision, kind="delay", by=priya, reason="weekend", until=later)
    three, history = _queries_for_case_decisions(client, api, first.case)
    # then the history shows them all with their overrides, for the same number of queries
    assert len(history) >= 3 and sum(len(d["overrides"]) for d in history) == 3
    assert three == one
