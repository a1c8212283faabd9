"""The pages: the decision history on the case page with its forms, and the rules page with its report."""

import pytest

from frontline.core import clock
from frontline.policy.models import Decision, Override, PolicyRule
from frontline.policy.tests.helpers import HOUR, T0, scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(rivera, scan_rule):
    scan(("client07.rivera-sites.example", True))
    return Decision.objects.get()


def test_the_case_page_shows_the_decision_history_and_a_lead_overrides_from_it(client, decided, priya):
    client.force_login(priya.user)
    page = client.get(decided.case.url).content.decode()
    assert 'id="decisions"' in page and "client07.rivera-sites.example" in page
    assert "Contain infected sites" in page and "Scheduled after notice" in page and "keeps serving" in page
    assert "Override this decision" in page and "Widen to reseller-rivera" in page
    with clock.frozen_at(T0 + HOUR):
        answer = client.post(
            f"/policy/decisions/{decided.pk}/override",
            {"kind": "delay", "until": "2026-11-05 09:00", "reason": "Carmen is travelling"},
        )
    assert answer.status_code == 302 and answer.url == decided.case.url
    decided.refresh_from_db()
    assert decided.due_at.isoformat() == "2026-11-05T09:00:00+00:00"
    page = client.get(decided.case.url).content.decode()
    assert "Delay by Priya Raman" in page and "Carmen is travelling" in page


def test_an_agent_sees_the_history_but_cannot_override(client, decided, tom):
    client.force_login(tom.user)
    page = client.get(decided.case.url).content.decode()
    assert "client07.rivera-sites.example" in page and "Override this decision" not in page
    refused = client.post(f"/policy/decisions/{decided.pk}/override", {"kind": "delay", "reason": "x"})
    assert refused.status_code == 403 and not Override.objects.exists()


def test_the_rules_page_refuses_a_bad_condition_with_its_position_and_keeps_the_text(
    client, nadia, scan_rule
):
    client.force_login(nadia.user)
    page = client.get("/policy/rules/").content.decode()
    assert "Contain infected sites" in page and "Rules to fix" in page and "confidence (double)" in page
    refused = client.post(
        "/policy/rules/save",
        {
            "name": "Spam",
            "trigger": "abuse_report",
            "condition": "event.incidents > 'many'",
            "action": "notify",
            "severity": "notice",
            "enabled": "on",
        },
    )
    text = refused.content.decode()
    assert refused.status_code == 400 and "line 1, column 17: cannot order int and string" in text
    assert "event.incidents &gt; &#x27;many&#x27;" in text
    saved = client.post(
        "/policy/rules/save",
        {
            "name": "Spam",
            "trigger": "abuse_report",
            "condition": "event.incidents > 10",
            "action": "notify",
            "severity": "notice",
            "enabled": "on",
        },
    )
    assert saved.status_code == 302 and PolicyRule.objects.get(name="Spam").version == 1
