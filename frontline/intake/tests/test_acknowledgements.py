"""Acknowledgements of new contacts go out in batches: one job and one SMTP session for many, each one
recorded on its case as it was sent one by one."""

import time

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import message as mail_message

from frontline.cases.models import Direction, Message
from frontline.events.models import Event, EventKind
from frontline.intake import acknowledgements
from frontline.intake.models import AcknowledgementDue
from frontline.intake.tests.helpers import deliver, mail, run_jobs
from frontline.scheduling.periodic import PERIODIC_JOBS
from frontline.tests.helpers import free_port, queued_task_paths

pytestmark = pytest.mark.django_db(transaction=True)  # jobs are handed to RQ at the commit

SENDERS = ["ann@one.example", "bob@two.example", "cy@three.example"]


class Sessions:
    """A loopback mail server that notes which SMTP session (the client's port) carried each message."""

    def __init__(self, refuse=()):
        self.received: list[tuple[int, str]] = []
        self.data: dict[str, bytes] = {}  # by recipient: the message's bytes as they arrived
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.extend((session.peer[1], to) for to in envelope.rcpt_tos)
        self.data.update((to, envelope.original_content) for to in envelope.rcpt_tos)
        return "250 2.0.0 Ok"


@pytest.fixture
def mail_server(settings):
    def start(refuse=()):
        handler = Sessions(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "frontline.delivery.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        return handler

    started = []
    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def batching(settings, monkeypatch):
    """As deployed: a process asks for a batch at most every so often; it has not asked yet."""
    settings.FRONTLINE_ACK_BATCH_SECONDS = 60
    monkeypatch.setitem(acknowledgements._asked, "at", float("-inf"))


def new_contacts(senders=SENDERS):
    return [
        deliver(mail(sender=address, subject=f"Problem of {address}", message_id=f"<{n}@x.example>")).case
        for n, address in enumerate(senders)
    ]


def test_the_acknowledgements_of_a_busy_moment_go_in_one_job_and_one_smtp_session(batching, mail_server):
    server = mail_server()
    # given three new contacts within a moment
    cases = new_contacts()
    # then one batch is asked for, not one job each
    assert queued_task_paths() == ["frontline.intake.tasks.send_acknowledgements"]
    # when a worker takes it
    run_jobs()
    # then each customer is told, all in one SMTP session
    assert sorted(to for _, to in server.received) == sorted(SENDERS)
    assert len({session for session, _ in server.received}) == 1
    # and each acknowledgement is on its case as if it had been sent alone
    for case in cases:
        assert Event.objects.filter(case=case, kind=EventKind.ACKNOWLEDGED).count() == 1
        sent = Message.objects.get(case=case, direction=Direction.OUTBOUND)
        assert case.ref in sent.subject and sent.sent_at is not None and not sent.send_error
    assert not AcknowledgementDue.objects.exists()


def test_the_mail_kept_on_the_case_is_the_mail_the_server_received(batching, mail_server, monkeypatch):
    server = mail_server()
    # given a clock that moves on between any two builds of a mail (each stamps its Date)
    stamps = iter(range(10**6))
    monkeypatch.setattr(
        mail_message, "formatdate", lambda **_: f"Thu, 03 Dec 2026 12:00:00 +{next(stamps):04d}"
    )
    # and a new contact, acknowledged by a worker
    (case,) = new_contacts(SENDERS[:1])
    run_jobs()
    # then the raw source kept is, byte for byte but for its line ends, what the server was given
    sent = Message.objects.get(case=case, direction=Direction.OUTBOUND)
    kept = bytes(sent.raw_source).replace(b"\n", b"\r\n")
    assert b"Date: " in kept and server.data[SENDERS[0]].rstrip(b"\r\n") == kept.rstrip(b"\r\n")


def test_an_acknowledgement_no_request_covered_is_sent_by_the_recurring_job(
    batching, mail_server, monkeypatch
):
    server = mail_server()
    # given a process that asked for a batch a moment ago, and a new contact after it
    monkeypatch.setitem(acknowledgements._asked, "at", time.monotonic())
    (case,) = new_contacts(SENDERS[:1])
    # then no second batch is asked for
    assert queued_task_paths() == []
    # when the recurring job runs, as the periodic process runs it every few seconds
    (job,) = [p for p in PERIODIC_JOBS if p.task_path == "frontline.intake.tasks.send_acknowledgements"]
    assert job.every.total_seconds() <= 10
    from frontline.intake.tasks import send_acknowledgements

    assert send_acknowledgements.call() == 1
    # then the customer is told
    assert [to for _, to in server.received] == SENDERS[:1]
    assert Event.objects.filter(case=case, kind=EventKind.ACKNOWLEDGED).exists()


def test_a_refused_acknowledgement_is_recorded_and_the_rest_of_its_batch_still_goes(batching, mail_server):
    server = mail_server(refuse={SENDERS[1]})
    # given three new contacts, the second to an address the mail server refuses
    cases = new_contacts()
    # when their batch is sent
    run_jobs()
    # then the refusal is on its case, and the other two were sent
    refused = Message.objects.get(case=cases[1], direction=Direction.OUTBOUND)
    assert refused.send_error.startswith("550")
    assert sorted(to for _, to in server.received) == sorted([SENDERS[0], SENDERS[2]])
    # the one after the refusal in a fresh session (a session that failed may be in any state)
    assert len({session for session, _ in server.received}) == 2
