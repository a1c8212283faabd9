"""The measures pages: the charts with their tables and CSV, the signal that opens an improvement, a
customer's history, and a contact's class corrected from the case page."""

import csv
import datetime
import io

import pytest
from playwright.sync_api import expect

from frontline.cases import services as cases
from frontline.core import clock
from frontline.events.models import Event
from frontline.incidents.models import Affected, Incident
from frontline.measures import board, figures, refresh
from frontline.measures.models import Contact, Improvement
from frontline.notifications.models import Notification
from frontline.saved_replies import services as saved_replies
from frontline.tests.browser import LAPTOP, keep, serious_violations

MONDAY = datetime.datetime(2026, 9, 7, 9, 0, tzinfo=datetime.UTC)
WEEK = datetime.timedelta(weeks=1)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
TODAY = MONDAY + 5 * WEEK


def _history(sam, sam_person, tom, hours_by_week):
    """One problem a week, solved after the given hours; in the last, the customer chased us at 60 hours."""
    made = []
    for n, hours in enumerate(hours_by_week):
        at = MONDAY + n * WEEK
        with clock.frozen_at(at):
            case = cases.open_case(
                customer=sam, requester=sam_person, subject=f"Week {n}", body="Blog slow", channel="email"
            )
        if n == len(hours_by_week) - 1:
            with clock.frozen_at(at + 60 * HOUR):
                cases.record_inbound_message(case, channel="email", body="Any news?", requester=sam_person)
        with clock.frozen_at(at + hours * HOUR):
            cases.change_status(case, status="resolved", by=tom, resolution_notes="fixed")
            cases.change_status(case, status="closed", by=tom)
        made.append(case)
    with clock.frozen_at(TODAY):
        refresh.rebuild()
    return made


@pytest.mark.django_db
def test_the_page_draws_each_chart_with_a_table_and_a_csv_equal_to_it(sam, sam_person, tom, signed_in):
    _history(sam, sam_person, tom, [2, 4, 3, 5, 80])
    with clock.frozen_at(TODAY):
        page = signed_in.get("/measures/?weeks=13").content.decode()
        csv_body = signed_in.get("/measures/end_to_end.csv?weeks=13").content.decode()
        drawn = board.draw("end_to_end", figures.Slice(), board.since_weeks(13))
    # the page: headline, three charts drawn as SVG, each with its table
    assert page.count("<svg") == 3 and page.count("<caption>") == 3
    assert "5</b><br>problems solved" in page
    # the CSV is the chart's rows: the weekly means in hours, one a week
    rows = list(csv.DictReader(io.StringIO(csv_body)))
    assert [float(r["value"]) for r in rows] == [2.0, 4.0, 3.0, 5.0, 80.0] == drawn.chart.values
    assert rows[-1]["upper_limit"] == str(round(drawn.chart.upper, 3))
    # contacts per problem and failure demand: the last problem took two contacts, one of them a chaser
    assert board.draw("contacts", figures.Slice(), board.since_weeks(13)).values == [1, 1, 1, 1, 2]


@pytest.mark.django_db
def test_a_lead_opens_an_improvement_from_a_signal_with_the_chart_as_evidence(
    sam, sam_person, tom, priya, client
):
    _history(sam, sam_person, tom, [2, 3, 2, 3, 2, 3, 90])
    client.force_login(priya.user)
    with clock.frozen_at(TODAY + 2 * WEEK):
        drawn = board.draw("end_to_end", figures.Slice(), board.since_weeks(26))
        assert drawn.chart.signalled, drawn.chart
        week = drawn.chart.weeks[drawn.chart.signalled[-1]]
        response = client.post(
            "/measures/improvements/open",
            {
                "measure": "end_to_end",
                "week": week.isoformat(),
                "title": "Why did it take 90 hours?",
            },
        )
    improvement = Improvement.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/measures/improvements/{improvement.pk}/"
    )
    assert "<svg" in improvement.evidence_svg and "90.0" in improvement.evidence_csv
    assert Event.objects.filter(
        kind="measures.improvement_opened", data__improvement_id=improvement.pk
    ).exists()
    assert "Why did it take 90 hours?" in client.get(response["Location"]).content.decode()
    # and when she says what was found, it is done, with an event
    client.post(f"/measures/improvements/{improvement.pk}/done", {"notes": "A disk filled up; alert added."})
    improvement.refresh_from_db()
    assert (improvement.status, improvement.notes) == ("done", "A disk filled up; alert added.")
    assert Event.objects.filter(
        kind="measures.improvement_done", data__improvement_id=improvement.pk
    ).exists()


@pytest.mark.django_db
def test_a_customers_history_shows_each_problem_how_long_it_took_them_and_their_contacts(
    sam, sam_person, tom, signed_in
):
    made = _history(sam, sam_person, tom, [2, 4, 3])
    page = signed_in.get(f"/customers/{sam.pk}/history/").content.decode()
    for case in made:
        assert case.ref in page
    assert "120 min" in page and "240 min" in page


@pytest.mark.django_db
def test_an_agent_corrects_a_contacts_class_from_the_case_page(sam, sam_person, tom, signed_in):
    case = _history(sam, sam_person, tom, [2, 4, 80])[-1]
    chaser = Contact.objects.get(problem_id=case.pk, failure_type="chasing")
    page = signed_in.get(case.url).content.decode()
    assert 'id="demand"' in page and "Chasing progress" in page
    signed_in.post(f"/cases/{case.ref}/contacts/{chaser.message_id}/demand", {"failure_type": "value"})
    chaser.refresh_from_db()
    assert (chaser.failure_type, chaser.corrected) == ("", True)


@pytest.mark.django_db
def test_a_lead_reads_the_charts_in_chromium_and_opens_an_improvement_from_a_signal(
    chromium, live_server, sam, sam_person, tom, priya
):
    _history(sam, sam_person, tom, [2, 3, 2, 3, 2, 3, 90])
    page = chromium()
    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + "/measures/")
    page.fill("#id_username", "priya")
    page.fill("#id_password", "pw-priya-123")
    page.click("button[type=submit]")
    # the page has its three charts, each with its table, and passes axe
    expect(page.locator("section.chart svg")).to_have_count(3)
    assert serious_violations(page) == []
    keep(page, "measures", "page")
    # when Priya opens an improvement from the end-to-end chart's signal
    chart = page.locator("#chart-end_to_end")
    chart.locator("summary:text-is('Act on a signal')").click()
    chart.locator("input[name=title]").fill("Ninety hours for one blog")
    chart.locator("button:text-is('Open an improvement with this chart')").click()
    # then she is on the improvement, with the chart as it was
    expect(page.locator("h1")).to_have_text("Ninety hours for one blog")
    expect(page.locator("section.chart svg")).to_have_count(1)
    assert Improvement.objects.get().opened_by == priya


@pytest.mark.django_db
def test_the_provider_figures_count_notices_by_how_they_were_acknowledged_and_incidents_by_minutes(sam):
    # given two notices acknowledged, by link after one rung and by SMS after two, and one unanswered
    for status, via, rungs, minutes in (
        ("acknowledged", "link", 1, 10),
        ("acknowledged", "sms", 2, 40),
        ("exhausted", "", 4, None),
    ):
        Notification.objects.create(
            customer=sam,
            subject_kind="case",
            subject_id="1",
            urgency="urgent",
            title="t",
            body="b",
            ladder_name="x",
            steps=[],
            status=status,
            next_step=rungs,
            acknowledged_via=via,
            created_at=MONDAY,
            acknowledged_at=MONDAY + datetime.timedelta(minutes=minutes) if minutes else None,
        )
    # and an incident that reached Sam for 90 minutes
    incident = Incident.objects.create(
        title="x", started_at=MONDAY, created_at=MONDAY, resolved_at=MONDAY + 90 * MINUTE
    )
    Affected.objects.create(incident=incident, customer=sam, unit_ids=[], added_at=MONDAY)
    found = figures.provider_figures(MONDAY.date())
    assert found["notices_started"] == 3 and found["notices_acknowledged_share"] == 66.7
    assert found["acknowledged_by_channel"] == {"link": 1, "sms": 1}
    assert found["acknowledged_after_rungs"] == {"1": 1, "2": 1}
    assert found["minutes_to_acknowledge_p50"] == 40.0
    assert found["minutes_to_acknowledge_by_channel"] == {"link": 10.0, "sms": 40.0}
    assert found["customer_minutes_lost_to_incidents"] == 90


@pytest.mark.django_db
def test_a_saved_reply_followed_by_failure_demand_within_a_week_is_counted_against_it(
    sam, sam_person, tom, priya, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    script = saved_replies.save_reply(title="Clear the cache", body="Please clear your cache.", by=priya)
    with clock.frozen_at(MONDAY):
        case = cases.open_case(
            customer=sam, requester=sam_person, subject="Slow", body="slow", channel="email"
        )
        cases.reply_to_case(case, by=tom, body="Please clear your cache.", origin=script.origin)
        cases.change_status(case, status="resolved", by=tom, resolution_notes="cache")
    with clock.frozen_at(MONDAY + 2 * 24 * HOUR):
        cases.record_inbound_message(case, channel="email", body="Still slow", requester=sam_person)
        refresh.rebuild()
    assert figures.saved_replies_followed(MONDAY - WEEK) == [
        {"origin": script.origin, "title": "Clear the cache", "uses": 1, "followed_by_failure": 1}
    ]
