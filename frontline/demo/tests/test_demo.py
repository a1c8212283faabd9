import datetime
import io

import pytest
from django.core.management import call_command

from frontline.agents.models import Agent
from frontline.cases.inbox import InboxFilter, inbox_page
from frontline.cases.models import Case
from frontline.customers.models import ContactState, Customer, Person, UnitState
from frontline.customers.services import has_working_channel
from frontline.intake.models import RawMessage, RawStatus
from frontline.policy.models import Decision
from frontline.tests.helpers import files_in, held_for_module
from frontline.todos.models import ToDo, ToDoKind

HOUR = datetime.timedelta(hours=1)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo provider, built once for this module (five seconds a build); each test's changes to it are
    undone after the test."""
    folder = tmp_path_factory.mktemp("demo")
    with held_for_module(django_db_blocker, folder):
        call_command(
            "demo", "--no-serve", "--customers", "40", "--history-cases", "300", stdout=io.StringIO()
        )
        yield folder


@pytest.fixture
def demo(built, db, settings):
    for name, value in files_in(built).items():
        setattr(settings, name, value)


def test_the_demo_provider_has_history_to_learn_from(demo):
    finished = Case.objects.filter(status__in=["resolved", "closed"])
    assert finished.count() > 140  # of 300: the other half are the open cases of the last two weeks
    assert not finished.filter(resolution_notes="").exists()
    assert finished.exclude(assignee=None).count() == finished.count()
    assert Case.objects.filter(reopen_count__gt=0).exists()
    # case texts vary: far more distinct bodies than templates
    assert Case.objects.values("messages__body_text").distinct().count() > 250


def test_story_s1_the_blog_that_is_down_tops_the_inbox_and_sams_chaser_joined_its_case(demo, client):
    case = Case.objects.get(customer__name="Sam Walker")
    assert case.impact == "down" and case.messages.count() == 2
    assert {m.channel for m in case.messages.all()} == {"monitoring", "email"}
    assert inbox_page(InboxFilter()).items[0] == case
    # the reasons: five days down for 2,400 readers, our silence, his chaser, seventeen years with us
    reasons = {t["term"]: t["reason"] for t in case.priority_explanation}
    assert reasons["elapsed"] == "problem started 5.0 days ago for the customer"
    assert {"reach", "silence", "chasers", "tenure"} <= set(reasons) and "failure_demand" not in reasons
    # routed to someone with the web hosting skill, with the reason kept
    assert case.assignee.skills.filter(slug="web-hosting").exists()
    assert case.routing_explanation["reason"].startswith(str(case.assignee))
    client.force_login(case.assignee.user)
    page = client.get(case.url).content.decode()
    for shown in ("problem started 5.0 days ago", case.routing_explanation["reason"][:30], "first response"):
        assert shown in page.replace("&#x27;", "'")


def test_story_s2_the_bounce_is_flagged_with_a_fix_todo_and_the_ladder_reached_helen_by_sms(demo, client):
    castle = Customer.objects.get(name="Castle Property Management")
    case = castle.cases.get()
    assert [u.name for u in case.affected_units.all()] == ["192.0.2.18"]
    # the notice's email to the ops mailbox was accepted, then bounced: the address is failing, with a to-do
    ops = castle.contacts.get(value="ops@castle-pm.example")
    assert ops.state == ContactState.FAILING and "5.1.1" in ops.failure_reason
    assert ToDo.objects.filter(kind=ToDoKind.FIX_CONTACT, contact_point=ops, status="open").count() == 1
    assert has_working_channel(castle)  # the mobile still works
    # the ladder moved on to SMS at once, reached Helen's mobile, and she acknowledged from its link
    notice = castle.notifications.get()
    attempts = {(a.channel, a.address): a for a in notice.attempts.all()}
    assert attempts["email", "ops@castle-pm.example"].status == "bounced"
    assert attempts["sms", "+44 7700 900123"].status == "accepted"
    assert notice.status == "acknowledged" and notice.acknowledged_via == "link"
    assert not notice.attempts.filter(channel__in=["voice", "person"]).exists()
    # and the evidence log shows all of it, for the provider to show Castle
    client.force_login(Agent.objects.first().user)
    page = client.get(f"/customers/{castle.pk}/evidence.html").content.decode()
    shown = ("ops@castle-pm.example", "mailbox unavailable", "+44 7700 900123", "Apprise: sent")
    assert all(text in page for text in shown) and "Notification acknowledged" in page


def test_story_s2_the_arf_report_contained_that_host_after_notice_and_the_line_stayed_up(demo, client):
    castle = Customer.objects.get(name="Castle Property Management")
    report = RawMessage.objects.get(header_message_id="<arf-20261102-0042@cert.example>")
    assert report.status == RawStatus.POLICY
    [decision] = Decision.objects.filter(customer=castle)
    assert (
        decision.rule.name == "Contain infected hosts behind a line" and decision.event.raw_message == report
    )
    # the notice went out when the report came; Helen acknowledged six minutes later; the action kept its time
    notice = decision.notification
    assert notice.created_at == decision.created_at and decision.due_at == decision.created_at + 6 * HOUR
    assert notice.acknowledged_at < decision.due_at and decision.applied_at == decision.due_at
    states = dict(castle.units.values_list("name", "state"))
    assert states.pop("192.0.2.18") == UnitState.CONTAINED and set(states.values()) == {UnitState.OK}
    # and the case shows the decision history
    client.force_login(Agent.objects.get(user__username="kenji").user)
    page = client.get(decision.case.url).content.decode()
    assert 'id="decisions"' in page and "not on port port-12" in page and "Action applied" in page


def test_story_s3_renee_acts_for_forty_clients(demo):
    renee = Person.objects.get(name="Renee Okafor")
    assert renee.accounts.count() == 41
    assert Case.objects.filter(subject="Outgoing mail rejected: 550 relay denied").count() == 7


def test_story_s5_twelve_contacts_through_intake_make_one_case_with_one_owner(demo):
    rivera = Customer.objects.get(name="Rivera Digital")
    case = rivera.cases.get()
    assert case.affected_units.count() == 3 and rivera.units.filter(kind="site").count() == 40
    from_customer = case.messages.filter(direction="in").exclude(channel="api")
    assert from_customer.count() == 12
    assert {m.channel for m in from_customer} == {"chat", "phone", "email", "web"}
    assert RawMessage.objects.filter(case=case, status=RawStatus.PROCESSED).count() == 12
    assert {m.thread_rule for m in from_customer} >= {"similar", "reply", "reference", "given"}
    assert case.assignee.display_name == "Hana Novak"


def test_story_s5_three_sites_contained_after_notice_and_a_rescan_lifted_one(demo, client):
    rivera = Customer.objects.get(name="Rivera Digital")
    case = rivera.cases.get()
    decisions = {d.unit.name: d for d in Decision.objects.filter(customer=rivera)}
    assert sorted(decisions) == [f"client{n}.rivera-sites.example" for n in ("07", "19", "33")]
    assert decisions["client19.rivera-sites.example"].status == "lifted"
    assert {decisions[f"client{n}.rivera-sites.example"].status for n in ("07", "33")} == {"applied"}
    counts = {}
    for state in rivera.units.filter(kind="site").values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    assert counts == {UnitState.CONTAINED: 2, UnitState.OK: 38}
    assert rivera.units.get(kind="account").state == UnitState.OK
    notice = decisions["client07.rivera-sites.example"].notification
    assert (
        notice.status == "acknowledged"
        and notice.acknowledged_at < decisions["client07.rivera-sites.example"].applied_at
    )
    client.force_login(case.assignee.user)
    page = client.get(case.url).content.decode()
    assert "Rule decisions" in page and "a re-scan of client19.rivera-sites.example found it clean" in page


def test_building_the_demo_twice_does_not_duplicate_it(demo):
    count = Customer.objects.count()
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert Customer.objects.count() == count


def test_monitoring_in_the_demo_s1_came_through_the_webhook_and_the_bakery_confirmed_its_fix(demo):
    from frontline.incidents.models import ProactiveCase
    from frontline.monitoring.models import AlertPost

    sam_case = Case.objects.get(customer__name="Sam Walker")
    assert ProactiveCase.objects.get(case=sam_case).alert.name == "SiteDown"
    assert AlertPost.objects.filter(status="read").count() >= 4  # Sam, the bakery twice, the relay
    assert sam_case.notifications.get().title.startswith("We know walkerblog.example")
    bakery = Case.objects.get(customer__name="Greenfield Bakery")
    assert bakery.status == "closed" and bakery.events.filter(kind="case.fix_confirmed").exists()


def test_story_s3_the_burst_became_one_incident_told_everyone_and_is_a_repeat_of_june(demo, client):
    from frontline.incidents import services as incidents
    from frontline.incidents.models import Incident
    from frontline.todos.models import ToDo

    incident = Incident.objects.filter(components__name="smtp-2").latest("started_at")
    # the burst of contacts opened it by itself, saying why; the relay's alert joined it
    assert incident.opened_by_label == "rule relay bursts"
    assert incident.alerts.filter(name="RelayRejecting").exists()
    links = incident.case_links.all()
    assert links.count() == 7  # six clients' cases by the rule, Renee's own by a lead
    why = "same relay smtp-2, 5 cases in 4 minutes, rule 'relay bursts'"
    assert links.filter(why=why).count() == 5  # the burst; the sixth joined on arrival:
    assert links.filter(why=f"runs on relay smtp-2, which {incident.ref} is about").count() == 1
    # every affected customer told: the forty clients, and Okafor Consulting, who wrote in; Renee once
    ledger = incidents.ledger(incident)
    assert len(ledger.lines) == 41 and ledger.told == 41
    renee_notices = incident.updates.last().fanout.notifications.filter(person__name="Renee Okafor")
    assert renee_notices.count() == 1 and "41 accounts you act for" in renee_notices.get().body
    # the evidence: the recorded configuration change leads the timeline
    found = incidents.assemble_evidence(incident)
    assert found.timeline[0].kind == "change" and "Relay access lists regenerated" in found.timeline[0].text
    # a repeat of June's incident, whose corrective action was never done: Aisha and her lead are told
    june = incident.repeat_of
    assert june is not None and june.started_at.month == 6
    assert incident.repeat_reason.startswith("the second time this year: the same mail relay smtp-2")
    told = ToDo.objects.filter(kind="repeat_action", status="open")
    assert sorted(told.values_list("assignee__user__username", flat=True)) == ["aisha", "priya"]
    client.force_login(Agent.objects.get(user__username="priya").user)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "41 of 41" in page and "Notice ledger" in page and 'id="repeat"' in page
    assert "Relay access lists regenerated from the new template" in page


def test_the_first_day_asks_few_contacts_to_confirm_themselves(demo):
    from frontline.core import clock
    from frontline.customers.models import ContactPoint
    from frontline.notifications.verification import due_to_ask

    # given the demo just built, with a history of verification behind its contacts
    points = ContactPoint.objects.filter(kind__in=["email", "phone"]).count()
    # then the first daily cycle finds a few due, not every never-verified point at once
    due_now = due_to_ask(clock.now()).count()
    assert points > 100 and due_now <= points // 20, (due_now, points)
