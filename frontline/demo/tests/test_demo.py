import io

import pytest
from django.core.management import call_command

from frontline.cases.inbox import InboxFilter, inbox_page
from frontline.cases.models import Case
from frontline.customers.models import ContactState, Customer, Person
from frontline.customers.services import has_working_channel
from frontline.intake.models import RawMessage, RawStatus


@pytest.fixture
def demo(db):
    call_command("demo", "--no-serve", "--customers", "40", "--history-cases", "300", stdout=io.StringIO())


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
    assert {"reach", "silence", "chasers", "failure_demand", "tenure"} <= set(reasons)
    # routed to someone with the web hosting skill, with the reason kept
    assert case.assignee.skills.filter(slug="web-hosting").exists()
    assert case.routing_explanation["reason"].startswith(str(case.assignee))
    client.force_login(case.assignee.user)
    page = client.get(case.url).content.decode()
    for shown in ("problem started 5.0 days ago", case.routing_explanation["reason"][:30], "first response"):
        assert shown in page.replace("&#x27;", "'")


def test_story_s2_castles_bouncing_mailbox_is_flagged_and_the_case_names_one_host(demo):
    castle = Customer.objects.get(name="Castle Property Management")
    assert castle.contacts.get(value="ops@castle-pm.example").state == ContactState.FAILING
    assert has_working_channel(castle)  # the mobile still works
    case = castle.cases.get()
    assert [u.name for u in case.affected_units.all()] == ["192.0.2.18"]


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


def test_building_the_demo_twice_does_not_duplicate_it(demo):
    count = Customer.objects.count()
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert Customer.objects.count() == count
