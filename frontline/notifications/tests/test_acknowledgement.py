"""Each way a customer can acknowledge stops the ladder, and only the ladder. A GET never acknowledges."""

import re
from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.events.models import Event, EventKind
from frontline.intake.models import RawStatus
from frontline.intake.tests.helpers import deliver, mail
from frontline.notifications import services
from frontline.notifications.models import NotificationStatus
from frontline.notifications.tests.helpers import T0, tick

pytestmark = pytest.mark.django_db(transaction=True)


def _ack_path(smtp_server) -> str:
    [email] = smtp_server.messages()
    return re.search(r"https?://[^/\s]+(/notify/ack/[^\s]+/)", email.get_payload()).group(1)


def _nothing_more_after_the_sms_wait(critical, receiver):
    tick(T0 + timedelta(minutes=15))
    tick(T0 + timedelta(minutes=60))
    assert receiver.to("/sms/") == [] and receiver.to("/voice") == []
    critical.refresh_from_db()
    assert critical.status == NotificationStatus.ACKNOWLEDGED


def test_following_the_link_does_not_acknowledge_pressing_its_button_does(
    critical, smtp_server, receiver, client
):
    tick(T0)
    path = _ack_path(smtp_server)
    # when a mail scanner (or the customer) only opens the link
    page = client.get(path)
    # then the page shows the notice and one button, and nothing changed
    assert page.status_code == 200
    assert b"I have read this" in page.content and b"web-07 is down" in page.content
    critical.refresh_from_db()
    assert critical.status == NotificationStatus.ACTIVE
    # when the button is pressed
    with clock.frozen_at(T0 + timedelta(minutes=3)):
        done = client.post(path)
    assert done.status_code == 200 and b"we have your confirmation" in done.content
    critical.refresh_from_db()
    assert critical.acknowledged_via == "link" and critical.acknowledged_at == T0 + timedelta(minutes=3)
    acknowledged = Event.objects.filter(kind=EventKind.NOTIFICATION_ACKNOWLEDGED, customer=critical.customer)
    assert acknowledged.count() == 1
    # then no later rung goes out
    _nothing_more_after_the_sms_wait(critical, receiver)


def test_a_forged_or_tampered_link_is_refused(critical, client):
    assert client.get("/notify/ack/not-a-token/").status_code == 400
    assert client.post("/notify/ack/not-a-token/").status_code == 400
    critical.refresh_from_db()
    assert critical.status == NotificationStatus.ACTIVE


def test_a_reply_to_the_email_acknowledges_but_an_auto_reply_does_not(critical, smtp_server, receiver):
    tick(T0)
    [email] = smtp_server.messages()
    # given an out-of-office answer to our email
    auto = deliver(
        mail(
            subject="Automatic reply: web-07 is down",
            message_id="<ooo@walkerblog.example>",
            in_reply_to=email["Message-ID"],
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert auto.status == RawStatus.IGNORED
    critical.refresh_from_db()
    assert critical.status == NotificationStatus.ACTIVE
    # when Sam replies himself
    deliver(
        mail(
            subject="Re: web-07 is down",
            body="Thanks, seen it.",
            message_id="<r1@walkerblog.example>",
            in_reply_to=email["Message-ID"],
        )
    )
    critical.refresh_from_db()
    assert critical.acknowledged_via == "email" and critical.acknowledged_by == "sam@walkerblog.example"
    _nothing_more_after_the_sms_wait(critical, receiver)


def test_an_sms_reply_ok_acknowledges_through_the_inbound_webhook(critical, receiver, client, settings):
    settings.FRONTLINE_SMS_INBOUND_TOKEN = "inbound-secret"
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    assert len(receiver.to("/sms/")) == 1
    # a post without the provider's token is refused, and stores nothing
    refused = client.post("/notify/sms-inbound", {"from": "+447700900456", "text": "OK"}, "application/json")
    assert refused.status_code == 401
    # when the gateway posts Sam's "ok"
    answer = client.post(
        "/notify/sms-inbound",
        {"from": "+44 7700 900456", "text": "Ok!"},
        "application/json",
        headers={"X-Frontline-Token": "inbound-secret"},
    )
    assert answer.status_code == 202 and answer.json()["status"] == RawStatus.ACKNOWLEDGEMENT
    critical.refresh_from_db()
    assert critical.acknowledged_via == "sms"
    tick(T0 + timedelta(minutes=60))
    assert receiver.to("/voice") == []


def test_an_sms_that_is_not_a_keyword_joins_the_customers_case_instead(critical, receiver, client, settings):
    settings.FRONTLINE_SMS_INBOUND_TOKEN = "inbound-secret"
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    answer = client.post(
        "/notify/sms-inbound",
        {"from": "+447700900456", "text": "When will it be back? I have a launch tonight"},
        "application/json",
        headers={"X-Frontline-Token": "inbound-secret"},
    )
    assert answer.json()["status"] == RawStatus.PROCESSED
    critical.refresh_from_db()
    assert critical.status == NotificationStatus.ACTIVE
    from frontline.cases.models import Message

    message = Message.objects.get(body_text__startswith="When will it be back")
    assert message.case.customer == critical.customer and message.channel == "sms"


def test_an_agent_records_a_phone_confirmation(critical, smtp_server, receiver, signed_in):
    tick(T0)
    page = signed_in.get(f"/customers/{critical.customer_id}/notifications/")
    assert b"web-07 is down" in page.content and b"queued as TEST123" in page.content
    # a confirmation must say who confirmed
    assert signed_in.post(f"/notify/{critical.pk}/phone-confirmation", {"who": " "}).status_code == 400
    signed_in.post(f"/notify/{critical.pk}/phone-confirmation", {"who": "Sam Walker", "note": "called him"})
    critical.refresh_from_db()
    assert critical.acknowledged_via == "phone" and critical.acknowledged_by == "Sam Walker"
    event = Event.objects.get(kind=EventKind.NOTIFICATION_ACKNOWLEDGED)
    assert event.actor.user.username == "tom"
    _nothing_more_after_the_sms_wait(critical, receiver)


def test_acknowledging_twice_is_recorded_once(critical):
    services.acknowledge(critical, via="link")
    services.acknowledge(critical, via="phone", who="Sam")
    critical.refresh_from_db()
    assert critical.acknowledged_via == "link"
    assert Event.objects.filter(kind=EventKind.NOTIFICATION_ACKNOWLEDGED).count() == 1


def test_an_agent_starts_a_notification_about_a_case_from_the_customers_page(sam, sam_person, signed_in):
    from frontline.cases import services as cases

    case = cases.open_case(customer=sam, requester=sam_person, subject="Blog down", body="503", channel="web")
    news = {"title": "Your blog is back", "body": "web-07 was restored.", "urgency": "routine"}
    signed_in.post(f"/customers/{sam.pk}/notify", {**news, "case": case.ref})
    notification = sam.notifications.get()
    assert notification.case == case and notification.subject_id == case.ref
    # a case of another customer is refused with a reason, and nothing starts
    answer = signed_in.post(
        f"/customers/{sam.pk}/notify", {"title": "t", "body": "b", "urgency": "routine", "case": "C-999"}
    )
    assert answer.status_code == 400 and sam.notifications.count() == 1
