"""Saved replies: filled from the case, one press to use, and how often the customer came back after each."""

import datetime

import pytest
from playwright.sync_api import expect

from frontline.cases import services as cases
from frontline.cases.models import Message
from frontline.core import clock
from frontline.core.errors import NotAllowed
from frontline.saved_replies import services
from frontline.saved_replies.models import SavedReply

NOON = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
FILLED = "Hello Sam, please clear your browser's cache for walkerblog.example and tell us on {}. Tom Becker"
CACHE_TEXT = (
    "Hello {first_name}, please clear your browser's cache for {units} and tell us on {case}. {agent}"
)


@pytest.fixture
def cache_reply(priya):
    return services.save_reply(title="Clear the cache", body=CACHE_TEXT, by=priya)


def _case(sam, sam_person, blog, at=NOON):
    with clock.frozen_at(at):
        return cases.open_case(
            customer=sam,
            requester=sam_person,
            subject="Site slow",
            body="slow",
            channel="email",
            units=[blog],
        )


@pytest.mark.django_db
def test_a_saved_reply_is_filled_from_the_case_and_unknown_fields_stay_as_written(
    cache_reply, sam, sam_person, blog, tom
):
    case = _case(sam, sam_person, blog)
    text = services.fill(cache_reply, case, tom)
    assert text == FILLED.format(case.ref)
    odd = SavedReply(body="Dear {nickname}")
    assert services.fill(odd, case, tom) == "Dear {nickname}"


@pytest.mark.django_db
def test_only_team_leads_write_saved_replies(tom, priya):
    with pytest.raises(NotAllowed, match="does not allow"):
        services.save_reply(title="x", body="y", by=tom)
    services.save_reply(title="x", body="y", by=priya)
    with pytest.raises(Exception, match="already"):
        services.save_reply(title="X", body="z", by=priya)


@pytest.mark.django_db
def test_each_saved_reply_shows_how_often_the_customer_came_back_within_a_week(
    cache_reply, priya, sam, sam_person, blog, tom, settings, signed_in
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    restart = services.save_reply(title="Restarted", body="We restarted your site.", by=priya)
    # given three cases answered with "Clear the cache" and one with "Restarted"
    answered = []
    for n, reply in enumerate([cache_reply, cache_reply, cache_reply, restart]):
        case = _case(sam, sam_person, blog, at=NOON + n * DAY)
        with clock.frozen_at(NOON + n * DAY + datetime.timedelta(hours=1)):
            cases.reply_to_case(case, by=tom, body="(filled)", origin=reply.origin)
            cases.change_status(case, status="resolved", by=tom, resolution_notes="answered")
        answered.append(case)
    # when the first customer writes back two days later (a reopen), and the second after ten days (not
    # within the week), and nobody comes back after "Restarted"
    with clock.frozen_at(NOON + 2 * DAY):
        cases.record_inbound_message(answered[0], channel="email", body="Still slow", requester=sam_person)
    with clock.frozen_at(NOON + DAY + 10 * DAY):
        cases.record_inbound_message(answered[1], channel="email", body="Slow again", requester=sam_person)
    # then "Clear the cache" was used 3 times and the customer came back once
    records = services.records()
    assert records[cache_reply.pk] == services.Record(uses=3, came_back=1)
    assert records[cache_reply.pk].share == 33.3
    assert records[restart.pk] == services.Record(uses=1, came_back=0)
    assert Message.objects.filter(origin=cache_reply.origin).count() == 3
    # and the page and the API say the same, the failing script first
    page = signed_in.get("/replies/").content.decode()
    assert page.index("Clear the cache") < page.index("Restarted") and "33.3%" in page
    listed = {r["title"]: r for r in signed_in.get("/api/v1/saved-replies").json()}
    assert (listed["Clear the cache"]["uses"], listed["Clear the cache"]["came_back"]) == (3, 1)


@pytest.mark.django_db
def test_the_api_fills_saved_replies_for_a_case_and_a_reply_carries_its_origin(
    cache_reply, sam, sam_person, blog, signed_in, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = _case(sam, sam_person, blog)
    [offered] = signed_in.get(f"/api/v1/cases/{case.ref}/saved-replies").json()
    assert offered["text"].startswith("Hello Sam,") and offered["origin"] == cache_reply.origin
    sent = signed_in.post(
        f"/api/v1/cases/{case.ref}/messages",
        {"body": offered["text"], "origin": offered["origin"]},
        content_type="application/json",
    )
    assert sent.status_code == 201 and Message.objects.get(pk=sent.json()["id"]).origin == cache_reply.origin
    bad = signed_in.post(
        f"/api/v1/cases/{case.ref}/messages",
        {"body": "x", "origin": "elsewhere"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "origin" in bad.json()["detail"]


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_an_agent_starts_a_reply_from_a_saved_reply_and_sends_it_with_ctrl_enter(
    chromium, live_server, tom, cache_reply, sam, sam_person, blog, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = _case(sam, sam_person, blog)
    page = chromium()
    page.goto(live_server.url + f"/cases/{case.ref}/")
    page.fill("#id_username", "tom")
    page.fill("#id_password", "pw-tom-123")
    page.click("button[type=submit]")
    # when Tom presses the saved reply, its text is in the reply box, filled from the case
    page.click("#saved-replies button:text-is('Clear the cache')")
    expect(page.locator("#reply-body")).to_have_value(FILLED.format(case.ref))
    # and Ctrl+Enter sends it
    page.locator("#reply-body").press("Control+Enter")
    expect(page.locator("[role=status]")).to_contain_text("Reply sent to")
    reply = Message.objects.get(case=case, direction="out")
    assert reply.origin == cache_reply.origin and reply.body_text.startswith("Hello Sam,")
