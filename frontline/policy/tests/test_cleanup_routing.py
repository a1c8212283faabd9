"""A case the rules open is routed as every case is (issue 20, item 5): its topic from the skill the provider
names for the trigger (FRONTLINE_POLICY_TOPICS), else the router's guess; then an owner, with the reasons."""

import pytest

from frontline.agents import services as agents
from frontline.agents.models import Role, Skill
from frontline.cases.models import Case
from frontline.events.models import Event, EventKind
from frontline.policy.tests.helpers import scan

pytestmark = pytest.mark.django_db


def test_a_provider_whose_abuse_skill_has_its_own_name_gets_the_cleanup_case_to_its_abuse_desk(
    settings, rivera, scan_rule, team
):
    # given a provider whose abuse desk's skill is called "abuse", named for the rules' cleanups
    Skill.objects.create(slug="abuse", name="Abuse desk")
    settings.FRONTLINE_POLICY_TOPICS = ["payment_overdue=billing", "*=abuse"]
    ines = agents.create_agent(
        username="ines",
        display_name="Ines Abuse",
        email="ines@northwind.example",
        password="pw-ines-123",
        role=Role.AGENT,
        team=team,
        skills={"abuse": 4},
    )
    # when a scan finds an infected site and the rules open the cleanup case
    scan(("client07.rivera-sites.example", True))
    # then the case has that topic and an owner who has the skill, with the reason kept
    [case] = Case.objects.filter(customer=rivera)
    assert case.topic.slug == "abuse" and case.assignee == ines
    assert case.routing_explanation["reason"].startswith(str(ines))


def test_where_the_named_skill_does_not_exist_the_cleanup_case_goes_through_triage(
    settings, rivera, scan_rule
):
    # given a provider that has no skill of the name the setting gives
    settings.FRONTLINE_POLICY_TOPICS = ["*=no-such-skill"]
    # when the rules open a cleanup case
    scan(("client07.rivera-sites.example", True))
    # then it is triaged like any case (no model trained here: it waits in triage, saying why)
    [case] = Case.objects.filter(customer=rivera)
    assert case.topic is None
    routed = Event.objects.get(case=case, kind=EventKind.CASE_ROUTED)
    assert routed.data["pool"] == "triage" and "no topic model" in routed.data["reason"]
