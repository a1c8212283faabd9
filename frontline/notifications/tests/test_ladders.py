"""A notification climbs its ladder rung by rung until someone acknowledges, on real transports: an SMTP
server and an HTTP receiver on loopback (Apprise's json:// stands in for the SMS gateway)."""

from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.events.models import Event, EventKind
from frontline.notifications import services
from frontline.notifications.models import Notification, NotificationStatus
from frontline.notifications.tests.helpers import T0, tick
from frontline.notifications.transports import verify_signature
from frontline.tests.helpers import queued_task_paths
from frontline.todos.models import ToDo, ToDoKind

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_ladder_climbs_rung_by_rung_until_a_person_is_asked_to_call(critical, smtp_server, receiver):
    # when the first rung is due
    tick(T0)
    # then Sam's verified address got one email, with our Message-ID and a link to acknowledge
    [email] = smtp_server.messages()
    assert email["To"] == "sam@walkerblog.example"
    email_point = critical.customer.people.get().contacts.get(kind="email")
    assert email["Message-ID"] == f"<notify.n{critical.pk}.0.{email_point.pk}@frontline.invalid>"
    assert "/notify/ack/" in email.get_payload()
    attempt = DeliveryAttempt.objects.get(notification=critical, step=0)
    assert attempt.status == AttemptStatus.ACCEPTED
    assert attempt.reply_code == 250 and "queued as TEST123" in attempt.reply_text
    # and before the SMS rung's fifteen minutes nothing else goes out
    tick(T0 + timedelta(minutes=14))
    assert receiver.requests == []
    # when fifteen minutes have passed: an SMS through Apprise, with its idempotency key
    tick(T0 + timedelta(minutes=15))
    [sms] = receiver.to("/sms/447700900456")
    assert sms.json["message"].startswith("Your site walkerblog.example is down")
    assert "/notify/ack/" in sms.json["message"]
    assert (
        sms.headers["Idempotency-Key"]
        == f"n{critical.pk}.1.{critical.customer.people.get().contacts.get(kind='phone').pk}"
    )
    assert DeliveryAttempt.objects.get(notification=critical, step=1).reply_text.startswith("Apprise: sent")
    # when an hour has passed: the voice provider is asked to call, signed with its secret
    tick(T0 + timedelta(minutes=60))
    [call] = receiver.to("/voice")
    assert call.json["to"] == "+447700900456" and "web-07 failed" in call.json["say"]
    assert verify_signature(
        "voice-secret",
        timestamp=call.headers["X-Frontline-Timestamp"],
        body=call.body,
        signature=call.headers["X-Frontline-Signature"],
    )
    # when four hours have passed with no answer: a person is asked to phone, with every number we hold
    tick(T0 + timedelta(minutes=239))
    assert not ToDo.objects.filter(kind=ToDoKind.NOTIFY_CALL).exists()
    tick(T0 + timedelta(minutes=240))
    todo = ToDo.objects.get(kind=ToDoKind.NOTIFY_CALL)
    assert "+44 7700 900456" in todo.detail and todo.customer == critical.customer
    # and the ladder is exhausted, on the record
    critical.refresh_from_db()
    assert critical.status == NotificationStatus.EXHAUSTED
    assert Event.objects.filter(kind=EventKind.NOTIFICATION_EXHAUSTED, customer=critical.customer).exists()
    assert list(
        DeliveryAttempt.objects.filter(notification=critical)
        .order_by("step")
        .values_list("channel", flat=True)
    ) == ["email", "sms", "voice", "person"]


def test_a_ladders_rungs_are_taken_before_acknowledgements_queued_earlier():
    from frontline.intake.tasks import send_acknowledgements
    from frontline.notifications.tasks import run_rungs

    # given batches of acknowledgements of new messages waiting in the queue (a busy hour's intake)
    for _ in range(3):
        send_acknowledgements.enqueue()
    # when a fan-out's batch of rungs is queued after them
    run_rungs.enqueue([], "a-claim")
    # then a worker takes the rungs first, and the acknowledgements in the order they came
    assert queued_task_paths() == [
        "frontline.notifications.tasks.run_rungs",
        *["frontline.intake.tasks.send_acknowledgements"] * 3,
    ]


def test_a_job_queued_in_a_transaction_is_queued_only_if_the_transaction_commits():
    from django.db import transaction

    from frontline.scheduling.later import later

    class Undone(Exception):
        pass

    # given a job queued inside a transaction that is then undone (a message that failed to be read)
    with pytest.raises(Undone), transaction.atomic():
        later("frontline.intake.tasks.send_acknowledgements")
        raise Undone
    # then no worker will take it (on RQ, a job handed over at once would already wait in Redis)
    assert queued_task_paths() == []
    # and one queued in a transaction that commits is there after the commit
    with transaction.atomic():
        later("frontline.intake.tasks.send_acknowledgements")
    assert queued_task_paths() == ["frontline.intake.tasks.send_acknowledgements"]


def test_a_notify_enqueues_a_dispatch_and_ladders_are_a_recurring_job(sam, smtp_server):
    from frontline.scheduling.periodic import PERIODIC_JOBS

    services.notify(sam, subject_kind="incident", subject_id="1", title="t", body="b", urgency="routine")
    assert "frontline.notifications.tasks.dispatch_ladders" in queued_task_paths()
    assert any(p.task_path == "frontline.notifications.tasks.dispatch_ladders" for p in PERIODIC_JOBS)


def test_a_ladder_runs_over_the_snapshot_it_started_with(critical, smtp_server, receiver):
    # given the provider edits the ladder after the notification started
    from frontline.notifications.models import Ladder

    ladder = Ladder.objects.get(name=critical.ladder_name)
    ladder.steps = [{"channel": "email", "wait_minutes": 0, "contacts": "working"}]
    ladder.save()
    # then the notification under way still climbs to its SMS rung
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    assert len(receiver.to("/sms/")) == 1


def test_a_permanent_refusal_marks_the_contact_failing_raises_a_fix_todo_and_escalates_at_once(
    critical, smtp_server, receiver, sam_email
):
    # given Sam's mailbox no longer exists
    smtp_server.refuse["sam@walkerblog.example"] = "550 5.1.1 <sam@walkerblog.example>: User unknown"
    # when the first rung runs
    tick(T0)
    # then the refusal is the evidence, the address is failing, and staff have a to-do to fix it
    attempt = DeliveryAttempt.objects.get(notification=critical, step=0)
    assert attempt.status == AttemptStatus.REFUSED and attempt.reply_code == 550
    sam_email.refresh_from_db()
    assert sam_email.state == "failing" and "5.1.1" in sam_email.failure_reason
    assert ToDo.objects.filter(kind=ToDoKind.FIX_CONTACT, contact_point=sam_email).count() == 1
    # and the SMS rung did not wait fifteen minutes for an email that reached nobody
    tick(T0 + timedelta(seconds=1))
    assert len(receiver.to("/sms/")) == 1
    critical.refresh_from_db()
    assert critical.next_step == 2


def test_a_rung_with_no_working_contact_point_moves_on_at_once(critical, sam_email, smtp_server, receiver):
    from frontline.customers import services as customers

    customers.mark_contact_failing(sam_email, reason="bounced before")
    tick(T0)
    tick(T0 + timedelta(seconds=1))
    # no email was attempted at a failing address, and the SMS went out straight away
    assert not DeliveryAttempt.objects.filter(notification=critical, channel="email").exists()
    assert len(receiver.to("/sms/")) == 1


def test_an_sms_gateway_answering_4xx_condemns_the_number_and_5xx_does_not(critical, receiver, sam_phone):
    # given the gateway refuses the number as invalid
    receiver.answers["/sms/"] = (400, 0)
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    attempt = DeliveryAttempt.objects.get(notification=critical, step=1)
    # then Apprise's bare "failed" is recorded with the reason from its log, and our inference said so
    assert attempt.status == AttemptStatus.REFUSED and attempt.reply_code == 400
    assert "Apprise answers only success or failure" in attempt.reply_text
    assert "permanent" in attempt.reply_text
    sam_phone.refresh_from_db()
    assert sam_phone.state == "failing"
    assert ToDo.objects.filter(kind=ToDoKind.FIX_CONTACT, contact_point=sam_phone).exists()


def test_an_sms_gateway_error_is_temporary(critical, receiver, sam_phone):
    receiver.answers["/sms/"] = (503, 0)
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    attempt = DeliveryAttempt.objects.get(notification=critical, step=1)
    assert attempt.status == AttemptStatus.DEFERRED and "temporary" in attempt.reply_text
    sam_phone.refresh_from_db()
    assert sam_phone.state != "failing"


def test_a_transport_that_hangs_is_timed_out_and_recorded(critical, receiver, settings):
    settings.FRONTLINE_TRANSPORT_TIMEOUT = 1
    receiver.answers["/voice"] = (200, 3)
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    tick(T0 + timedelta(minutes=60))
    attempt = DeliveryAttempt.objects.get(notification=critical, step=2)
    assert attempt.status == AttemptStatus.DEFERRED and "timed out after 1 s" in attempt.reply_text


def test_a_customer_webhook_is_signed_with_the_points_own_secret(sam, receiver, settings):
    from frontline.customers import services as customers
    from frontline.notifications.models import Ladder

    # given Sam's monitoring system takes webhooks (https is required at entry; the test posts to loopback)
    point = customers.add_contact_point(
        customer=sam, kind="webhook", value="https://hooks.walkerblog.example/x"
    )
    point.normalized = f"{receiver.url}/hook"
    point.save()
    ladder = Ladder.objects.create(
        name="webhook only", steps=[{"channel": "webhook", "wait_minutes": 0}], created_at=T0
    )
    with clock.frozen_at(T0):
        services.notify(sam, subject_kind="incident", subject_id="9", title="t", body="b", ladder=ladder)
    tick(T0)
    [hook] = receiver.to("/hook")
    # then a receiver holding the secret accepts it, and a tampered body or a wrong secret fails
    stamp, signature = hook.headers["X-Frontline-Timestamp"], hook.headers["X-Frontline-Signature"]
    assert len(point.signing_secret) >= 40
    assert verify_signature(point.signing_secret, timestamp=stamp, body=hook.body, signature=signature)
    assert not verify_signature(
        point.signing_secret, timestamp=stamp, body=hook.body + b" ", signature=signature
    )
    assert not verify_signature("guess", timestamp=stamp, body=hook.body, signature=signature)
    assert not verify_signature(
        point.signing_secret, timestamp=stamp, body=hook.body, signature=signature, now=int(stamp) + 3600
    )
    assert hook.headers["Idempotency-Key"] == hook.json["key"]


def test_a_rung_run_twice_sends_nothing_twice(critical, smtp_server):
    # given the first rung ran
    tick(T0)
    # when the same rung is run again with the claim it had (a job re-run after a lost lease)
    token = "replayed"
    Notification.objects.filter(pk=critical.pk).update(next_step=0, claim_token=token)
    services.run_rung(critical.pk, 0, token)
    # then the contact point that already succeeded is not sent to again
    assert len(smtp_server.messages()) == 1
    assert DeliveryAttempt.objects.filter(notification=critical, step=0).count() == 1


def test_texts_go_only_to_numbers_that_take_them_verified_ones_first(sam, smtp_server, receiver):
    from frontline.customers import services as customers

    # given Sam's office landline, his verified mobile, and a second mobile never verified
    mobile = customers.verify_contact_point(sam.people.get().contacts.get(kind="phone"))
    office = customers.add_contact_point(customer=sam, kind="phone", value="+44 20 7946 0123")
    spare = customers.add_contact_point(customer=sam, kind="phone", value="+44 7911 123456")
    # when a critical notice reaches its SMS rung
    with clock.frozen_at(T0):
        notice = services.notify(
            sam,
            subject_kind="incident",
            subject_id="INC-8",
            title="web-07 is down",
            body="Down.",
            urgency="critical",
        )
    tick(T0)
    tick(T0 + timedelta(minutes=15))
    # then the text goes to the verified mobile only: never the landline, the unverified mobile held back
    texted = {a.address for a in DeliveryAttempt.objects.filter(notification=notice, channel="sms")}
    assert texted == {mobile.value}
    assert office.value not in texted and spare.value not in texted


def test_whether_a_number_takes_texts():
    from frontline.customers.phones import takes_texts

    assert takes_texts("+447911123456") and takes_texts("+491701234567")  # mobiles
    assert not takes_texts("+442079460123") and not takes_texts("+4930123456")  # fixed lines
    assert takes_texts("+14155550100")  # North America: either, given the benefit of the doubt
    assert takes_texts("+442079460123", "SMS gateway line") and not takes_texts("+447911123456", "office")
