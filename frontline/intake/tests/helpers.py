"""Helpers for intake's tests and the tests of apps that feed it mail: build a mail, deliver it through the
pipeline, run the queued jobs, and a real SMTP listener."""

import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import DeliveryAttempt
from frontline.intake import services, smtpd
from frontline.intake.models import Source
from frontline.tests.helpers import run_queued_jobs


def mail(
    *,
    sender="Sam Walker <sam@walkerblog.example>",
    to="support@frontline.invalid",
    subject="Blog down",
    body="walkerblog.example answers 503 since this morning.",
    message_id="<m1@walkerblog.example>",
    in_reply_to="",
    references="",
    headers=None,
    html=None,
    attachments=(),
) -> bytes:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC))
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None and body is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def deliver(raw: bytes, source=Source.IMPORT, **kwargs):
    """Through the same service the listener, the importer and IMAP use."""
    return services.receive(raw, source=source, **kwargs)


@pytest.fixture
def listener(settings):
    """Our SMTP listener on a free port of 127.0.0.1, reading what it stores in its own thread."""
    from frontline.tests.helpers import free_port

    controller, processor = smtpd.start(host="127.0.0.1", port=free_port())
    yield controller
    controller.stop()
    processor.stop()
    processor.join(timeout=10)


def run_jobs() -> int:
    """Run the jobs due now on whichever queue the suite runs on. On RQ a job is handed over when its
    transaction commits: a test that runs jobs is marked `django_db(transaction=True)`."""
    return run_queued_jobs()


def sent_to(customer, addresses, message_id: str) -> dict:
    """Our message (one Message-ID, or one per address when none is given) accepted for each address, each
    a contact point of the customer: what a delivery report will be matched against."""
    attempts = {}
    for address in addresses:
        point = customers.add_contact_point(customer=customer, kind="email", value=address)
        attempts[address] = DeliveryAttempt.objects.create(
            customer=customer,
            contact_point=point,
            channel="email",
            address=address,
            status="accepted",
            header_message_id=message_id or f"<{address}@frontline.test>",
            attempted_at=clock.now(),
        )
    return attempts
