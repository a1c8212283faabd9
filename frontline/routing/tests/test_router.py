"""Routing: to someone with the skill, by level, track record, load, availability and continuity; explained;
the triage pool when nobody fits; reassignment when the owner lets the clock run out."""

import datetime

import pytest

from frontline.agents import services as agents
from frontline.agents.models import Role, Skill
from frontline.cases import services as cases
from frontline.core import clock
from frontline.events.models import Event, EventKind
from frontline.routing import services
from frontline.routing.models import AgentTopicRecord
from frontline.routing.tasks import reassign_overdue_cases
from frontline.scheduling import worker
from frontline.scheduling.models import Job, JobStatus

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def idle_billing_expert(team):
    """Jo knows billing, not web hosting, and has nothing to do."""
    Skill.objects.create(slug="billing", name="Billing")
    return agents.create_agent(
        username="jo",
        display_name="Jo Martins",
        email="jo@northwind.example",
        password="pw-jo-1234",
        role=Role.AGENT,
        team=team,
        skills={"billing": 5},
    )


def web_case(sam, web_hosting, subject="Site down"):
    with clock.frozen_at(NOON):
        return cases.open_case(
            customer=sam, subject=subject, body="503", channel="email", impact="down", topic=web_hosting
        )


def routed(case):
    with clock.frozen_at(NOON):
        services.route_case(case)
    case.refresh_from_db()
    return case


def test_a_case_goes_to_the_most_skilled_never_to_an_idle_person_without_the_skill(
    sam, web_hosting, tom, priya, idle_billing_expert
):
    case = routed(web_case(sam, web_hosting))
    # then Priya (level 5) over Tom (level 4); Jo, idle but without the skill, is not even a candidate
    assert case.assignee == priya
    names = [c["agent"] for c in case.routing_explanation["candidates"]]
    assert names == ["Priya Raman", "Tom Becker"]
    assert case.routing_explanation["reason"].startswith("Priya Raman: Web hosting level 5 of 5")
    event = Event.objects.get(case=case, kind=EventKind.CASE_ASSIGNED)
    assert event.actor_label == "router" and "level 5" in event.data["reason"]


def test_load_against_capacity_counts_and_a_full_person_is_left_out(sam, web_hosting, tom, priya):
    priya.capacity = 2
    priya.save()
    for n in range(2):
        cases.assign_case(web_case(sam, web_hosting, f"busy {n}"), assignee=priya, by=priya)
    case = routed(web_case(sam, web_hosting))
    assert case.assignee == tom
    assert {
        "agent": "Priya Raman",
        "id": priya.pk,
        "reason": "full: 2 of 2 open cases",
    } in case.routing_explanation["excluded"]


def test_someone_unavailable_is_left_out(sam, web_hosting, tom, priya):
    priya.is_available = False
    priya.save()
    case = routed(web_case(sam, web_hosting))
    assert case.assignee == tom
    assert case.routing_explanation["excluded"][0]["reason"] == "not available"


def test_the_customers_previous_owner_has_the_edge(sam, web_hosting, tom, priya):
    with clock.frozen_at(NOON - 24 * HOUR):
        earlier = cases.open_case(customer=sam, subject="Earlier", body="x", channel="email")
        cases.assign_case(earlier, assignee=tom, by=tom)
    case = routed(web_case(sam, web_hosting))
    assert case.assignee == tom  # 40 + 15 for continuity beats 50
    tom_terms = case.routing_explanation["candidates"][0]["terms"]
    assert {
        "term": "continuity",
        "points": 15.0,
        "reason": f"owned this customer's last case {earlier.ref}",
    } in tom_terms


def test_a_case_being_opened_is_routed_to_the_customers_previous_owner_before_it_is_written(
    sam, web_hosting, tom, priya
):
    # given Tom owned Sam's case yesterday
    with clock.frozen_at(NOON - 24 * HOUR):
        earlier = cases.open_case(customer=sam, subject="Earlier", body="x", channel="email")
        cases.assign_case(earlier, assignee=tom, by=tom)
    # when a new case is opened and triaged before its row is written (it has no id while routed)
    with clock.frozen_at(NOON):
        case = cases.open_case(
            customer=sam,
            subject="Site down",
            body="503",
            channel="email",
            topic=web_hosting,
            triage=services.triage_unwritten,
        )
    # then the continuity term still finds Tom's case, and the row holds the routing as decided
    case.refresh_from_db()
    assert case.assignee == tom
    terms = case.routing_explanation["candidates"][0]["terms"]
    assert {
        "term": "continuity",
        "points": 15.0,
        "reason": f"owned this customer's last case {earlier.ref}",
    } in terms
    # and its events name it, in the order recorded (routing is decided before the opening message is written)
    kinds = list(Event.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        EventKind.CASE_OPENED,
        EventKind.CASE_ASSIGNED,
        EventKind.CASE_ROUTED,
        EventKind.MESSAGE_RECEIVED,
    ]


def test_who_resolved_the_topic_well_is_preferred(sam, web_hosting, tom, priya):
    AgentTopicRecord.objects.create(
        agent=tom, skill=web_hosting, resolved=30, reopened=0, hours_to_resolve=60
    )
    AgentTopicRecord.objects.create(
        agent=priya, skill=web_hosting, resolved=30, reopened=15, hours_to_resolve=600
    )
    case = routed(web_case(sam, web_hosting))
    assert case.assignee == tom
    terms = {t["term"]: t for t in case.routing_explanation["candidates"][0]["terms"]}
    assert terms["track_record"]["reason"] == "resolved 30 Web hosting cases, 0 reopened"
    assert terms["speed"]["points"] > 0


def test_nobody_with_the_skill_means_the_triage_pool_not_a_guess(sam, web_hosting, idle_billing_expert):
    case = routed(web_case(sam, web_hosting))
    assert case.assignee is None
    assert case.routing_explanation["pool"] == "triage"
    assert case.routing_explanation["reason"] == "nobody available with the Web hosting skill"


def test_without_a_trained_model_a_new_case_without_topic_waits_in_triage(sam, tom):
    with clock.frozen_at(NOON):
        case = services.triage_new_case(
            cases.open_case(customer=sam, subject="Help", body="?", channel="email")
        )
    assert case.assignee is None and case.topic is None
    assert "no topic model" in case.routing_explanation["reason"]


def run_jobs_at(moment):
    with clock.frozen_at(moment):
        reassign_overdue_cases.enqueue()
        worker.run_worker(lease=datetime.timedelta(minutes=5), stop_when_idle=True, periodic=False)


def test_an_owner_who_does_not_act_within_the_response_clock_loses_the_case(sam, web_hosting, tom, priya):
    # given Sam's outage routed to Priya at noon: our first answer is due within two hours
    case = routed(web_case(sam, web_hosting))
    assert case.assignee == priya and case.response_due_at == NOON + 2 * HOUR
    # when the durable job runs before the clock runs out, nothing moves
    run_jobs_at(NOON + HOUR)
    case.refresh_from_db()
    assert case.assignee == priya
    # when it runs after, with Priya having done nothing on the case
    run_jobs_at(NOON + 2 * HOUR + datetime.timedelta(minutes=1))
    case.refresh_from_db()
    # then Tom has it, and the case says why
    assert case.assignee == tom
    assert "Priya Raman did not act within the response clock" in case.routing_explanation["why_now"]
    assert (
        Job.objects.filter(
            task_path="frontline.routing.tasks.reassign_overdue_cases", status=JobStatus.SUCCESSFUL
        ).count()
        == 2
    )


def test_an_owner_who_acted_keeps_the_case(sam, web_hosting, tom, priya):
    case = routed(web_case(sam, web_hosting))
    with clock.frozen_at(NOON + HOUR):
        cases.add_internal_note(case, by=priya, body="Checking web-07's logs")
    run_jobs_at(NOON + 3 * HOUR)
    case.refresh_from_db()
    assert case.assignee == priya


def test_reassignment_and_retraining_are_recurring_jobs():
    worker.enqueue_due_periodic()
    paths = set(Job.objects.values_list("task_path", flat=True))
    assert {
        "frontline.routing.tasks.reassign_overdue_cases",
        "frontline.routing.tasks.retrain_router",
    } <= paths


def test_track_records_grow_as_cases_are_resolved_and_count_reopens(sam, sam_person, web_hosting, tom):
    case = web_case(sam, web_hosting)
    cases.assign_case(case, assignee=tom, by=tom)
    with clock.frozen_at(NOON + 4 * HOUR):
        cases.change_status(case, status="resolved", by=tom, resolution_notes="Restarted PHP-FPM")
    record = AgentTopicRecord.objects.get(agent=tom, skill=web_hosting)
    assert (record.resolved, record.reopened, record.hours_to_resolve) == (1, 0, 4.0)
    with clock.frozen_at(NOON + 5 * HOUR):
        cases.record_inbound_message(case, channel="email", body="Down again", requester=sam_person)
    record.refresh_from_db()
    assert record.reopened == 1
    # and a rebuild from the cases agrees
    services.rebuild_topic_records()
    rebuilt = AgentTopicRecord.objects.get(agent=tom, skill=web_hosting)
    assert (rebuilt.resolved, rebuilt.reopened) == (1, 1)


def test_a_person_choosing_the_owner_replaces_the_routers_reasons(sam, web_hosting, tom, priya):
    case = routed(web_case(sam, web_hosting))
    assert case.assignee == priya
    cases.assign_case(case, assignee=tom, by=priya)  # the lead gives it to Tom
    case.refresh_from_db()
    assert case.routing_explanation == {}
    assert Event.objects.filter(case=case, kind=EventKind.CASE_ROUTED).exists()  # the history keeps it
