"""Contact points are verified when added, and again when our knowledge of them grows old."""

import re
from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.customers import services as customers
from frontline.delivery.models import DeliveryAttempt
from frontline.events.models import Event, EventKind
from frontline.notifications import verification
from frontline.notifications.tests.helpers import T0
from frontline.tests.helpers import run_queued_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_address_added_through_the_api_is_sent_a_link_whose_page_posts_to_confirm(
    sam, smtp_server, signed_in, client
):
    # when an integration adds an address
    answer = signed_in.post(
        f"/api/v1/customers/{sam.pk}/contacts",
        {"kind": "email", "value": "ops@walkerblog.example"},
        content_type="application/json",
    )
    assert answer.status_code == 201 and answer.json()["state"] == "unverified"
    run_queued_jobs()
    # then its owner is asked to confirm, and the request is in the evidence log
    [email] = smtp_server.messages()
    assert email["To"] == "ops@walkerblog.example"
    path = re.search(r"https?://[^/\s]+(/notify/verify/[^\s]+/)", email.get_payload()).group(1)
    assert DeliveryAttempt.objects.get(address="ops@walkerblog.example").status == "accepted"
    point = sam.contacts.get(normalized="ops@walkerblog.example")
    # a GET of the link (a mail scanner) verifies nothing
    assert b"Yes, this is mine" in client.get(path).content
    point.refresh_from_db()
    assert point.state == "unverified"
    # the button's POST does
    client.post(path)
    point.refresh_from_db()
    assert point.state == "verified" and point.verified_at is not None
    assert Event.objects.filter(kind=EventKind.CONTACT_VERIFIED, data__contact_id=point.pk).exists()


def test_a_link_for_an_address_that_changed_since_confirms_nothing(sam, smtp_server):
    point = customers.add_contact_point(customer=sam, kind="email", value="old@walkerblog.example")
    token = verification.verify_link(point).rstrip("/").rsplit("/", 1)[1]
    point.normalized = point.value = "new@walkerblog.example"
    point.save()
    with pytest.raises(ServiceError, match="changed since"):
        verification.confirm_by_link(token)


def test_a_number_is_sent_a_code_that_staff_enter(sam, receiver, signed_in):
    phone = sam.people.get().contacts.get(kind="phone")
    page_path = f"/customers/{sam.pk}/notifications/"
    signed_in.post(f"/contacts/{phone.pk}/verify", {"next": page_path})
    [sms] = receiver.to("/sms/447700900456")
    code = re.search(r"code is (\d{6})", sms.json["message"]).group(1)
    # a wrong code is refused with a reason
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert signed_in.post(f"/contacts/{phone.pk}/code", {"code": wrong}).status_code == 400
    phone.refresh_from_db()
    assert phone.state == "unverified"
    signed_in.post(f"/contacts/{phone.pk}/code", {"code": code, "next": page_path})
    phone.refresh_from_db()
    assert phone.state == "verified"


def test_a_code_expires_and_a_new_request_voids_the_old_code(sam, receiver):
    phone = sam.people.get().contacts.get(kind="phone")
    with clock.frozen_at(T0):
        verification.request_verification(phone)
        first = verification.verification_code(phone)
    with clock.frozen_at(T0 + timedelta(hours=1)):
        verification.request_verification(phone)
        with pytest.raises(ServiceError, match="not the one"):
            verification.confirm_by_code(phone, first)
    with clock.frozen_at(T0 + timedelta(days=3)), pytest.raises(ServiceError, match="no code is outstanding"):
        verification.confirm_by_code(phone, verification.verification_code(phone))


def test_a_webhook_is_verified_by_a_signed_delivery_its_receiver_accepts(sam, receiver):
    point = customers.add_contact_point(
        customer=sam, kind="webhook", value="https://hooks.walkerblog.example/a"
    )
    point.normalized = f"{receiver.url}/hook"
    point.save()
    verification.request_verification(point)
    point.refresh_from_db()
    assert point.state == "verified" and len(receiver.to("/hook")) == 1


def test_the_cycle_asks_stale_and_never_asked_points_but_not_fresh_ones(sam, smtp_server, receiver):
    email = sam.people.get().contacts.get(kind="email")  # verified when the fixture ran: fresh
    # and the phone number from the fixture was never verified and never asked
    old = customers.add_contact_point(customer=sam, kind="email", value="billing@walkerblog.example")
    customers.verify_contact_point(old)
    type(old).objects.filter(pk=old.pk).update(verified_at=clock.now() - timedelta(days=800))
    # when the cycle runs
    asked = verification.reverify_stale()
    # then the stale and the never-asked points are asked, the fresh one is not
    assert asked == 2
    assert {m["To"] for m in smtp_server.messages()} == {"billing@walkerblog.example"}
    assert len(receiver.to("/sms/")) == 1
    email.refresh_from_db()
    assert email.verification_sent_at is None
    # and running it again the same day asks nobody twice
    assert verification.reverify_stale() == 0


def test_the_cycle_asks_at_most_its_daily_number_and_the_rest_on_later_days(
    settings, sam, smtp_server, receiver
):
    # given twelve addresses never asked (an import), the fixture's number, and a cap of five asks a day
    settings.FRONTLINE_REVERIFY_PER_DAY = 5
    for n in range(12):
        customers.add_contact_point(customer=sam, kind="email", value=f"box{n}@walkerblog.example")
    start = clock.now()
    asked = []
    # when the cycle runs once a day for four days
    for day in range(4):
        with clock.frozen_at(start + timedelta(days=day, hours=1)):
            asked.append(verification.reverify_stale())
            assert verification.reverify_stale() == 0  # and a second run that day asks nobody
    # then five a day are asked, oldest first, until all thirteen are
    assert asked == [5, 5, 3, 0]
    assert len(smtp_server.messages()) + len(receiver.to("/sms/")) == 13


def test_a_verification_refused_permanently_marks_the_point_failing(sam, smtp_server):
    smtp_server.refuse["gone@walkerblog.example"] = "550 5.1.1 <gone@walkerblog.example>: no such user"
    point = customers.add_contact_point(customer=sam, kind="email", value="gone@walkerblog.example")
    attempt = verification.request_verification(point)
    assert attempt.status == "refused"
    point.refresh_from_db()
    assert point.state == "failing"
