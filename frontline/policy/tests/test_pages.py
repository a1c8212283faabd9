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


def test_changing_a_rule_opens_it_with_everything_it_says_now(client, nadia, scan_rule):
    # given a rule, when its policy admin chooses Change beside it
    client.force_login(nadia.user)
    listing = client.get("/policy/rules/").content.decode()
    assert f'href="?rule={scan_rule.pk}#rule-form"' in listing and "<th>Version</th>" in listing
    page = client.get("/policy/rules/", {"rule": scan_rule.pk}).content.decode()
    # then the form holds its name, trigger, condition, action and severity as they are
    assert f'name="rule" value="{scan_rule.pk}"' in page and f'value="{scan_rule.name}"' in page
    assert '<option value="malware_scan" selected>' in page and '<option value="contain" selected>' in page
    assert '<option value="standard" selected>' in page
    assert "event.infected &amp;&amp; event.confidence &gt;= 0.8</textarea>" in page
    # and saving it as it stands changes nothing: no new version, the same trigger and action
    form = {
        "rule": scan_rule.pk,
        "name": scan_rule.name,
        "trigger": "malware_scan",
        "action": "contain",
        "severity": "standard",
        "condition": scan_rule.condition,
        "enabled": "on",
        "reason": "checked",
    }
    assert client.post("/policy/rules/save", form).status_code == 302
    scan_rule.refresh_from_db()
    assert (scan_rule.version, scan_rule.trigger, scan_rule.action) == (1, "malware_scan", "contain")


def test_a_rule_that_does_not_exist_opens_an_empty_form(client, nadia):
    client.force_login(nadia.user)
    for chosen in ("999", "x", "9" * 40):
        page = client.get("/policy/rules/", {"rule": chosen})
        assert page.status_code == 200 and 'name="rule" value=' not in page.content.decode()
