"""Whose word the rules act on: posting policy events takes a capability, acting before notice takes a token
an admin trusts as a reporter, and lifting a rule's action is an override with its reason."""

import pytest

from frontline.agents import services as agents
from frontline.agents.models import Role
from frontline.core import clock
from frontline.policy import reports
from frontline.policy.models import Decision, DecisionStatus, Override, OverrideKind
from frontline.policy.tests.helpers import T0
from frontline.policy.tests.test_api import _as

pytestmark = pytest.mark.django_db

WORM = {"source_ip": "192.0.2.18", "category": "worm", "reporter": "CERT", "incidents": 3}


@pytest.fixture
def cert_feed(ada):
    """The CERT's feed: an integration whose token the admin marked as a trusted reporter."""
    bot = agents.create_agent(
        username="cert-feed", display_name="CERT feed", email="", password=None, role=Role.INTEGRATION
    )
    token, plaintext = agents.issue_api_token(bot, "CERT feed", by=ada)
    agents.trust_reporter(token, True, by=ada)
    return plaintext


def _post_with(client, token, path, body):
    return client.post(
        f"/api/v1{path}", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_an_agents_token_cannot_post_policy_events(client, tom, castle, worm_rule):
    api = _as(client, tom)
    with clock.frozen_at(T0):
        report = api("post", "/policy/abuse-reports", WORM)
        event = api(
            "post",
            "/policy/events",
            {
                "events": [
                    {"trigger": "abuse_report", "facts": {"category": "worm"}, "unit": {"ip": "192.0.2.18"}}
                ]
            },
        )
    assert report.status_code == 403 and "policy events" in report.json()["detail"]
    assert event.status_code == 403
    assert not Decision.objects.exists()


def test_a_report_from_an_untrusted_token_gets_notice_even_if_it_claims_trust(
    client, nadia, castle, worm_rule
):
    # given a policy admin's own token, which nobody marked as a trusted reporter
    api = _as(client, nadia)
    with clock.frozen_at(T0):
        answer = api(
            "post",
            "/policy/events",
            {
                "events": [
                    {
                        "trigger": "abuse_report",
                        "facts": {"category": "worm", "active_attack": True, "trusted_reporter": True},
                        "unit": {"ip": "192.0.2.18"},
                    }
                ]
            },
        )
        api("post", "/policy/abuse-reports", WORM | {"source_ip": "192.0.2.19"})
    # then nothing is contained before notice: the claim in the body counts for nothing
    assert answer.status_code == 201
    decisions = list(Decision.objects.order_by("pk"))
    assert len(decisions) == 2
    assert all(d.status == DecisionStatus.SCHEDULED and not d.emergency for d in decisions)
    assert "trusts as a reporter" in decisions[0].why


def test_a_trusted_reporters_token_contains_an_attack_at_once_and_is_named_in_the_reasons(
    client, castle, worm_rule, cert_feed
):
    with clock.frozen_at(T0):
        answer = _post_with(client, cert_feed, "/policy/abuse-reports", WORM)
    assert answer.status_code == 201
    decision = Decision.objects.get()
    assert decision.emergency and decision.status == DecisionStatus.APPLIED
    assert "token 'CERT feed'" in decision.why


@pytest.fixture
def contained(client, castle, worm_rule, cert_feed):
    with clock.frozen_at(T0):
        _post_with(client, cert_feed, "/policy/abuse-reports", WORM)
    return Decision.objects.get()


def test_an_agent_cannot_lift_a_rules_action(client, tom, contained):
    with clock.frozen_at(T0):
        answer = _as(client, tom)(
            "post", f"/policy/decisions/{contained.pk}/end", {"reason": "customer asked"}
        )
    assert answer.status_code == 403 and "override rules" in answer.json()["detail"]
    contained.refresh_from_db()
    assert contained.status == DecisionStatus.APPLIED


def test_a_lead_lifting_a_rules_action_is_an_override_the_report_counts_and_can_reverse(
    client, priya, contained
):
    api = _as(client, priya)
    with clock.frozen_at(T0):
        answer = api(
            "post", f"/policy/decisions/{contained.pk}/end", {"reason": "cleaned on the phone with Helen"}
        )
    assert answer.status_code == 200 and answer.json()["status"] == "lifted"
    override = Override.objects.get()
    assert override.kind == OverrideKind.END and override.reason == "cleaned on the phone with Helen"
    row = next(r for r in reports.rules_to_fix() if r.rule.pk == contained.rule_id)
    assert row.overridden == 1
    # and the lift can be reversed: the action is in force again
    with clock.frozen_at(T0):
        assert (
            api(
                "post", f"/policy/overrides/{override.pk}/reverse", {"reason": "it was not clean"}
            ).status_code
            == 200
        )
    contained.refresh_from_db()
    assert contained.status == DecisionStatus.APPLIED


def test_the_case_page_offers_lifting_only_to_those_who_may(client, tom, priya, contained):
    client.force_login(tom.user)
    assert "Restore (lift)" not in client.get(f"/cases/{contained.case.ref}/").content.decode()
    client.force_login(priya.user)
    assert "Restore (lift)" in client.get(f"/cases/{contained.case.ref}/").content.decode()
