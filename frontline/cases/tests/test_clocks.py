"""Service clocks on the customer's clock: targets per tier and plan, pauses only when we asked, business
hours and holidays for the teams that keep them."""

import datetime

import pytest

from frontline.agents.models import Team
from frontline.cases import clocks, services
from frontline.core import clock
from frontline.customers import services as customers

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Monday 2 November 2026, noon UTC (and London: no daylight saving in November).
NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def by_name(case):
    return {c.name: c for c in clocks.case_clocks(case)}


def test_targets_depend_on_tier_and_plan(sam):
    assert clocks.targets_for("standard", "starter", "down") == (2 * 3600, 4 * 3600, 24 * 3600)
    assert clocks.targets_for("standard", "business", "down") == (3600, 2 * 3600, 8 * 3600)
    assert clocks.targets_for("critical", "starter", "down") == (900, 1800, 4 * 3600)


def test_first_response_is_met_or_breached_by_our_first_answer(sam, sam_person, tom):
    with clock.frozen_at(NOON):
        case = services.open_case(
            customer=sam, requester=sam_person, subject="Down", body="x", channel="email", impact="down"
        )
    with clock.frozen_at(NOON + 3 * HOUR):
        assert by_name(case)["first response"].state == "breached"  # starter, down: 2 hours
        services.reply_to_case(case, by=tom, body="Looking at it now.")
        case.refresh_from_db()
        first = by_name(case)["first response"]
    assert first.state == "breached" and first.elapsed_seconds == 3 * 3600


def test_waiting_on_the_customer_pauses_resolution_only_when_we_asked_something(sam, sam_person, tom):
    # given a case where we asked a question, then set it waiting on the customer for ten hours
    with clock.frozen_at(NOON):
        asked = services.open_case(
            customer=sam, requester=sam_person, subject="Slow", body="x", channel="email", impact="degraded"
        )
        told = services.open_case(
            customer=sam, requester=sam_person, subject="Slow 2", body="x", channel="email", impact="degraded"
        )
    with clock.frozen_at(NOON + HOUR):
        services.reply_to_case(asked, by=tom, body="Which page is slow for you?")
        services.reply_to_case(told, by=tom, body="We are looking into it.")
        services.change_status(asked, status="waiting_customer", by=tom)
        services.change_status(told, status="waiting_customer", by=tom)
    with clock.frozen_at(NOON + 11 * HOUR):
        asked_clock, told_clock = by_name(asked)["resolution"], by_name(told)["resolution"]
        # then the clock stopped for the case where we asked, and ran for the one where we asked nothing
        assert asked_clock.state == "paused" and asked_clock.elapsed_seconds == 1 * 3600
        assert told_clock.state == "running" and told_clock.elapsed_seconds == 11 * 3600
        assert "did not pause: we asked nothing" in told_clock.note
        # when the customer answers, the clock runs again from there
        services.record_inbound_message(asked, channel="email", body="The checkout", requester=sam_person)
    with clock.frozen_at(NOON + 13 * HOUR):
        asked.refresh_from_db()
        resumed = by_name(asked)["resolution"]
    assert resumed.state == "running" and resumed.elapsed_seconds == 3 * 3600


@pytest.fixture
def office_hours_team(db):
    return Team.objects.create(
        name="Office", time_zone="Europe/London", holiday_country="GB", clocks_in_business_hours=True
    )


def test_a_team_that_keeps_business_hours_counts_only_them(office_hours_team):
    friday_5pm = datetime.datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
    # two hours of business time from Friday 17:00: one on Friday, one from Monday 08:00
    due = clocks.add_working_time(office_hours_team, friday_5pm, 2 * 3600)
    assert due == datetime.datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    assert clocks.working_seconds(office_hours_team, friday_5pm, due) == 2 * 3600
    # a team that does not keep them (None) counts the wall clock
    assert clocks.add_working_time(None, friday_5pm, 2 * 3600) == friday_5pm + 2 * HOUR


def test_public_holidays_do_not_count(office_hours_team):
    # Christmas and Boxing Day 2026 fall on Friday and Saturday; Monday 28 December is the day in lieu
    christmas_eve_5pm = datetime.datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    due = clocks.add_working_time(office_hours_team, christmas_eve_5pm, 2 * 3600)
    assert due == datetime.datetime(2026, 12, 29, 9, 0, tzinfo=UTC)


def test_the_owners_business_hours_apply_but_never_for_the_critical_tier(
    sam, sam_person, tom, office_hours_team
):
    tom.team = office_hours_team
    tom.save()
    friday_5pm = datetime.datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
    with clock.frozen_at(friday_5pm):
        case = services.open_case(
            customer=sam, requester=sam_person, subject="Q", body="x", channel="email", impact="down"
        )
        services.assign_case(case, assignee=tom, by=tom)
    case.refresh_from_db()
    with clock.frozen_at(friday_5pm + 64 * HOUR):  # Monday 09:00
        first = by_name(case)["first response"]
        assert first.elapsed_seconds == 2 * 3600 and first.state == "running"  # exactly at its 2 hours
        assert "Office's business hours" in first.note
        # when the customer moves to the critical tier, its targets run around the clock
        customers.update_customer(sam, tier="critical")
        case.refresh_from_db()
        assert by_name(case)["first response"].elapsed_seconds == 64 * 3600
