"""The evidence log as the provider shows it to a customer, and a fan-out's live progress."""

import csv
import io
from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import DeliveryAttempt
from frontline.intake.tests.helpers import deliver
from frontline.intake.tests.test_mail_intake import dsn
from frontline.notifications import services
from frontline.notifications.models import Notification
from frontline.notifications.tests.helpers import T0, tick
from frontline.tests.helpers import run_queued_jobs
from frontline.todos.models import ToDo, ToDoKind

pytestmark = pytest.mark.django_db(transaction=True)


def bounce(attempt: DeliveryAttempt, status: str, diagnostic: str):
    """Sam's mail server reports, through intake, that our email to him failed."""
    report = dsn(
        about=attempt.header_message_id,
        recipient="sam@walkerblog.example",
        status=status,
        action="failed",
        diagnostic=diagnostic,
    )
    return deliver(report)


def test_the_evidence_export_lists_every_attempt_with_the_servers_words(
    critical, smtp_server, receiver, signed_in, sam_email
):
    # given the email was accepted, then bounced, and the SMS reached Sam, who acknowledged it
    tick(T0)
    attempt = DeliveryAttempt.objects.get(notification=critical, step=0)
    with clock.frozen_at(T0 + timedelta(minutes=2)):
        bounce(attempt, "5.2.2", "552 5.2.2 mailbox full")
    tick(T0 + timedelta(minutes=15))
    with clock.frozen_at(T0 + timedelta(minutes=20)):
        services.acknowledge(critical, via="sms", who="+447700900456")
    # when the provider exports the timeline as CSV
    response = signed_in.get(f"/customers/{critical.customer_id}/evidence.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # then each attempt is there in order, with channel, address, time, the answer and what came later
    attempts = [r for r in rows if r["what"] == "attempt"]
    assert [(r["channel"], r["address"]) for r in attempts] == [
        ("email", "Sam@WalkerBlog.example"),
        ("sms", "+44 7700 900456"),
    ]
    assert attempts[0]["at"].startswith("2026-11-02T09:00")
    assert attempts[0]["status"] == "Bounced" and attempts[0]["code"] == "250"
    assert "queued as TEST123" in attempts[0]["answer"]
    assert attempts[0]["later"].startswith("5.2.2") and "552 5.2.2 mailbox full" in attempts[0]["later"]
    assert attempts[1]["rung"] == "2" and attempts[1]["answer"].startswith("Apprise: sent")
    acknowledged = [r for r in rows if r["what"] == "Notification acknowledged"]
    assert acknowledged and acknowledged[0]["channel"] == "sms"
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    # and a mailbox-full bounce (5.2.x) does not condemn the address
    sam_email.refresh_from_db()
    assert sam_email.state == "verified"
    # and the page shows the same rows for printing
    page = signed_in.get(f"/customers/{critical.customer_id}/evidence.html").content.decode()
    assert "queued as TEST123" in page and "mailbox full" in page and "Apprise: sent" in page


def test_a_bounce_after_acceptance_marks_the_address_and_opens_one_fix_todo(critical, smtp_server, sam_email):
    tick(T0)
    attempt = DeliveryAttempt.objects.get(notification=critical, step=0)
    bounce(attempt, "5.1.1", "550 5.1.1 <sam@walkerblog.example>: user unknown")
    sam_email.refresh_from_db()
    assert sam_email.state == "failing"
    todo = ToDo.objects.get(kind=ToDoKind.FIX_CONTACT, contact_point=sam_email)
    assert todo.evidence["attempt_id"] == attempt.pk


def _customers(count: int):
    made = []
    for n in range(count):
        customer = customers.create_customer(name=f"Customer {n}", customer_since="2020-01-01")
        customers.add_unit(customer, kind="site", name=f"site{n}.example")
        customers.add_contact_point(customer=customer, kind="email", value=f"ops{n}@example.com")
        made.append(customer)
    return made


def test_a_fan_out_notifies_each_affected_customer_once_and_counts_progress_live(
    smtp_server, receiver, signed_in_lead
):
    # given five customers, two units of the same customer among the affected, and one bad address
    people = _customers(5)
    smtp_server.refuse["ops3@example.com"] = "550 5.1.1 <ops3@example.com>: no such user"
    units = [c.units.get().pk for c in people[:4]]
    extra = customers.add_unit(people[0], kind="site", name="second.example")
    with clock.frozen_at(T0):
        created = signed_in_lead.post(
            "/api/v1/notifications/fanouts",
            {
                "subject_kind": "maintenance",
                "subject_id": "MW-12",
                "title": "Maintenance on web-07 tonight",
                "body": "Sites on web-07 will be unavailable from 22:00 to 22:30 UTC.",
                "urgency": "routine",
                "unit_ids": [*units, extra.pk],
                "customer_ids": [people[4].pk],
            },
            content_type="application/json",
        )
    assert created.status_code == 201
    fanout = created.json()
    # then one notification per customer, not per unit
    assert fanout["total"] == 5 and Notification.objects.filter(fanout_id=fanout["id"]).count() == 5
    assert fanout["started"] == 0
    # when the workers have sent the first rung
    tick(T0)
    progress = signed_in_lead.get(f"/api/v1/notifications/fanouts/{fanout['id']}").json()
    assert progress["started"] == 5 and progress["sent"] == 4 and progress["failing"] == 1
    # failures are listed, not summarised away
    [failure] = progress["failures"]
    assert failure["address"] == "ops3@example.com" and "5.1.1" in failure["answer"]
    # when two acknowledge
    for notification in Notification.objects.filter(fanout_id=fanout["id"]).order_by("pk")[:2]:
        services.acknowledge(notification, via="link")
    progress = signed_in_lead.get(f"/notify/fanouts/{fanout['id']}/progress.json").json()
    assert progress["acknowledged"] == 2 and progress["percent_acknowledged"] == 40.0
    # and the page shows the bars and the failure, and polls for more
    page = signed_in_lead.get(f"/notify/fanouts/{fanout['id']}/").content.decode()
    assert '<progress id="bar-started" max="5" value="5">' in page
    assert "ops3@example.com" in page and "progress.json" in page


def test_a_fan_out_without_anyone_to_notify_is_refused(signed_in_lead):
    answer = signed_in_lead.post(
        "/api/v1/notifications/fanouts",
        {"subject_kind": "incident", "subject_id": "1", "title": "t", "body": "b"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "nobody to notify" in answer.json()["detail"]


def test_bad_notification_input_is_a_clear_4xx(signed_in, sam):
    bad = signed_in.post(
        "/api/v1/notifications",
        {"customer_id": sam.pk, "title": "", "body": "b", "subject_kind": "incident", "subject_id": "1"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "title"
    unknown = signed_in.post(
        "/api/v1/notifications",
        {"customer_id": sam.pk, "title": "t", "body": "b", "subject_kind": "case", "subject_id": "C-999"},
        content_type="application/json",
    )
    assert unknown.status_code == 404
    wrong = signed_in.post(
        "/api/v1/notifications",
        {"customer_id": sam.pk, "title": "t", "body": "b", "subject_kind": "party", "subject_id": "1"},
        content_type="application/json",
    )
    assert wrong.status_code == 422


def test_a_bounce_of_the_only_email_brings_the_next_rung_forward(critical, smtp_server, receiver):
    # given the email rung was accepted, so the SMS waits its fifteen minutes
    tick(T0)
    critical.refresh_from_db()
    assert critical.next_due_at == T0 + timedelta(minutes=15)
    attempt = DeliveryAttempt.objects.get(notification=critical, step=0)
    # when it bounces five minutes later
    with clock.frozen_at(T0 + timedelta(minutes=5)):
        bounce(attempt, "5.1.1", "550 5.1.1 user unknown")
    # then the SMS is due at once: the email reached nobody
    critical.refresh_from_db()
    assert critical.next_due_at == T0 + timedelta(minutes=5)
    tick(T0 + timedelta(minutes=5))
    assert len(receiver.to("/sms/")) == 1


def test_the_dispatcher_claims_no_more_than_the_workers_can_run(smtp_server, settings):
    # given a fan-out to 100 customers and room for 60 rungs in flight
    settings.FRONTLINE_NOTIFY_IN_FLIGHT = 60
    people = _customers(100)
    with clock.frozen_at(T0):
        services.fan_out(
            subject_kind="incident", subject_id="1", title="t", body="b", urgency="routine", customers=people
        )
        # when the dispatcher runs twice before any worker took a batch
        assert services.dispatch_due() == 60
        assert services.dispatch_due() == 0
        # then the workers, finishing a batch, claim the next until all are sent
        run_queued_jobs()
    assert len(smtp_server.messages()) == 100
    assert not Notification.objects.exclude(claim_token="").exists()


def test_a_person_acting_for_several_accounts_gets_one_notice_naming_them_and_one_ack_covers_all(
    smtp_server, receiver, signed_in_lead
):
    # given a delegate who acts for twelve accounts, eleven of which have nobody else, and one that has
    # its own owner too
    accounts = _customers(12)
    home = customers.create_customer(name="Okafor Consulting", customer_since="2014-03-12")
    renee = customers.add_person(home, name="Renee Okafor")
    customers.add_contact_point(person=renee, kind="email", value="renee@okafor.example")
    for account in accounts:
        account.contacts.all().delete()  # the account's mail goes to the people acting for it
        customers.link_person(renee, account, role="delegate")
    owner = customers.add_person(accounts[0], name="Owner Zero")
    customers.add_contact_point(person=owner, kind="email", value="owner@zero.example")
    # when a lead notifies every one of them through the API
    with clock.frozen_at(T0):
        created = signed_in_lead.post(
            "/api/v1/notifications/fanouts",
            {
                "subject_kind": "maintenance",
                "subject_id": "MW-13",
                "title": "Mail relay maintenance tonight",
                "body": "Mail may be delayed by up to 30 minutes from 22:00 UTC.",
                "urgency": "routine",
                "customer_ids": [a.pk for a in accounts],
            },
            content_type="application/json",
        )
    assert created.status_code == 201
    notices = list(Notification.objects.filter(fanout_id=created.json()["id"]))
    # then Renee has one notice naming the twelve accounts, and the account with an owner has its own
    mine = [n for n in notices if n.person_id == renee.pk]
    assert len(mine) == 1 and "This concerns 12 accounts you act for: Customer 0, Customer 1" in mine[0].body
    others = [n for n in notices if n.person_id is None]
    assert [n.customer_id for n in others] == [accounts[0].pk] and others[0].skip_people == [renee.pk]
    # and when the workers send the first rung, Renee gets one email, the owner another
    tick(T0)
    sent_to = sorted(r for e in smtp_server.envelopes for r in e.rcpt_tos)
    assert sent_to == ["owner@zero.example", "renee@okafor.example"]
    # when Renee acknowledges by her link, her one notice is acknowledged: nothing more climbs for her
    services.acknowledge_by_link(services.ack_link(mine[0]).rsplit("/", 2)[-2])
    mine[0].refresh_from_db()
    assert mine[0].status == "acknowledged"
    # and the evidence log of each account she acts for shows the email that told her on its behalf
    rows = services.evidence_timeline(accounts[7])
    assert [(r["address"], r["subject"]) for r in rows if r["what"] == "attempt"] == [
        ("renee@okafor.example", "Mail relay maintenance tonight")
    ]
