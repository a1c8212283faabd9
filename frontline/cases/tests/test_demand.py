"""Failure demand: a chaser after our silence, a repeat of a problem we closed."""

import datetime

import pytest

from frontline.cases import services
from frontline.cases.models import DemandType
from frontline.core import clock
from frontline.customers.models import ServiceUnit
from frontline.events.models import Event, EventKind
from frontline.routing.services import triage_new_case

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def test_a_contact_after_our_response_clock_ran_out_is_a_chaser(sam, sam_person):
    # given Sam's outage, with our first answer due within two hours (standard tier, starter plan)
    with clock.frozen_at(NOON):
        case = services.open_case(
            customer=sam, requester=sam_person, subject="Down", body="down", channel="email", impact="down"
        )
    assert case.response_due_at == NOON + 2 * HOUR
    # when he writes again within the two hours, that is just another message
    with clock.frozen_at(NOON + HOUR):
        early = services.record_inbound_message(
            case, channel="email", body="Also the shop", requester=sam_person
        )
    # and when he writes after them, having heard nothing
    with clock.frozen_at(NOON + 3 * HOUR):
        late = services.record_inbound_message(case, channel="email", body="Any news?", requester=sam_person)
    early.refresh_from_db()
    late.refresh_from_db()
    case.refresh_from_db()
    # then only the late one is a chaser, and the case carries failure demand with the reason
    assert (early.is_chaser, late.is_chaser) == (False, True)
    assert case.chaser_count == 1 and case.demand_type == DemandType.FAILURE
    assert case.failure_reason == "chased after our silence"
    event = Event.objects.get(case=case, kind=EventKind.DEMAND_RECORDED)
    assert event.data["rule"] == "chaser" and event.data["overdue_minutes"] == 60
    # and the second message did not restart our clock: they have waited since noon
    assert case.response_due_at == NOON + 2 * HOUR


def test_our_answer_stops_the_clock_so_a_later_question_is_no_chaser(sam, sam_person, tom, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.frozen_at(NOON):
        case = services.open_case(
            customer=sam, requester=sam_person, subject="Q", body="question", channel="email"
        )
    with clock.frozen_at(NOON + HOUR):
        services.reply_to_case(case, by=tom, body="Done, anything else?")
    case.refresh_from_db()
    assert case.response_due_at is None
    with clock.frozen_at(NOON + 100 * HOUR):
        message = services.record_inbound_message(
            case, channel="email", body="One more thing", requester=sam_person
        )
    message.refresh_from_db()
    case.refresh_from_db()
    assert not message.is_chaser and case.demand_type == DemandType.VALUE
    assert case.response_due_at == NOON + 100 * HOUR + 48 * HOUR  # next response, question, starter plan


def _closed_case_on(unit: ServiceUnit, sam, tom, closed_at):
    with clock.frozen_at(closed_at - HOUR):
        case = services.open_case(
            customer=sam, subject="Site down", body="down", channel="email", impact="down", units=[unit]
        )
    with clock.frozen_at(closed_at):
        services.change_status(case, status="closed", by=tom, resolution_notes="Restarted PHP")
    return case


@pytest.mark.parametrize(("days_ago", "is_repeat"), [(10, True), (29, True), (31, False)])
def test_a_new_case_about_a_unit_we_fixed_within_30_days_is_a_repeat(sam, blog, tom, days_ago, is_repeat):
    # given the blog's outage we closed some days ago
    earlier = _closed_case_on(blog, sam, tom, NOON - datetime.timedelta(days=days_ago))
    # when a new case about the blog comes in
    with clock.frozen_at(NOON):
        case = services.open_case(
            customer=sam, subject="Blog down again", body="down", channel="email", impact="down", units=[blog]
        )
        case = triage_new_case(case)
    # then within 30 days it is a repeat of that case, failure demand, with its own priority term
    assert (case.repeat_of_id == earlier.pk) is is_repeat
    assert (case.demand_type == DemandType.FAILURE) is is_repeat
    assert ("repeat" in {t["term"] for t in case.priority_explanation}) is is_repeat


def test_another_units_old_problem_is_no_repeat(sam, blog, tom):
    other = ServiceUnit.objects.create(customer=sam, kind="site", name="other.example")
    _closed_case_on(other, sam, tom, NOON - datetime.timedelta(days=3))
    with clock.frozen_at(NOON):
        case = triage_new_case(
            services.open_case(customer=sam, subject="Blog", body="down", channel="email", units=[blog])
        )
    assert case.repeat_of_id is None
