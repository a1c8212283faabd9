"""Mail as it really arrives (issue 19): a generic status gives way to the server's specific one, a report
about one recipient of a message sent to several marks that recipient only, read receipts are automatic, and
a person writing from postmaster@ is a person writing."""

import pytest

from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import DeliveryAttempt
from frontline.intake.models import RawStatus
from frontline.intake.tests.helpers import deliver, mail, sent_to

pytestmark = pytest.mark.django_db


def report(*blocks: str, about: str = "<ours-1@frontline.invalid>") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: support@frontline.invalid\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-77@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        + "\r\n".join(blocks)
        + "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {about}\r\nSubject: Planned maintenance\r\n--B--\r\n"
    ).encode()


@pytest.fixture
def sent(db):
    """One message of ours (one Message-ID) sent to three addresses of one customer."""
    customer = customers.create_customer(name="Castle Property Management", customer_since=clock.now().date())
    addresses = ("ops@castle-pm.example", "helen@castle-pm.example", "it@castle-pm.example")
    return sent_to(customer, addresses, "<ours-1@frontline.invalid>")


def _state(attempt: DeliveryAttempt) -> tuple[str, str, str]:
    attempt.refresh_from_db()
    attempt.contact_point.refresh_from_db()
    return attempt.status, attempt.report_status, attempt.contact_point.state


def test_a_report_about_one_recipient_marks_that_recipient_only(sent):
    # when the report names the second of the three addresses our one message went to
    deliver(
        report(
            "Final-Recipient: rfc822; helen@castle-pm.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <helen@castle-pm.example>: no such user"
        )
    )
    # then that send bounced and that address is failing; the other two are untouched
    assert _state(sent["helen@castle-pm.example"]) == ("bounced", "5.1.1", "failing")
    assert _state(sent["ops@castle-pm.example"]) == ("accepted", "", "unverified")
    assert _state(sent["it@castle-pm.example"]) == ("accepted", "", "unverified")


def test_a_generic_status_gives_way_to_the_servers_specific_code(sent):
    # sisimai's lhost-courier-01 and rfc3464-51 shapes: Status 5.0.0 over "550 5.1.1", and "#5.1.0"
    deliver(
        report(
            "Final-Recipient: rfc822; ops@castle-pm.example\r\nAction: failed\r\nStatus: 5.0.0\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <ops@castle-pm.example>... User Unknown",
            "",
            "Final-Recipient: rfc822; it@castle-pm.example\r\nAction: failed\r\nStatus: 5.0.0\r\n"
            "Diagnostic-Code: X-Notes; #5.1.0 Address rejected",
        )
    )
    assert _state(sent["ops@castle-pm.example"]) == ("bounced", "5.1.1", "failing")
    assert _state(sent["it@castle-pm.example"]) == ("bounced", "5.1.0", "failing")


def test_a_permanent_status_with_no_action_line_is_a_bounce_not_a_delay(sent):
    # lhost-sendmail-13's shape: Status 5.3.0, no Action
    deliver(
        report(
            "Final-Recipient: rfc822; ops@castle-pm.example\r\nStatus: 5.3.0\r\nDiagnostic-Code: smtp; 554"
        )
    )
    assert _state(sent["ops@castle-pm.example"]) == ("bounced", "5.3.0", "unverified")  # not an address fault


def test_a_report_about_our_own_sending_address_does_not_condemn_theirs(sent):
    deliver(
        report(
            "Final-Recipient: rfc822; ops@castle-pm.example\r\nAction: failed\r\nStatus: 5.1.8\r\n"
            "Diagnostic-Code: smtp; 553 5.1.8 Sender address domain does not exist"
        )
    )
    assert _state(sent["ops@castle-pm.example"]) == ("bounced", "5.1.8", "unverified")


def test_a_plain_text_bounce_names_its_recipient_and_the_reply_line_decides(sent):
    # a notice in words only, as qmail writes it (no delivery-status part, no Auto-Submitted)
    raw = (
        b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.castle-pm.example\r\nTo: support@frontline.invalid\r\n"
        b"Subject: failure notice\r\nMessage-ID: <qmail-1@mx.castle-pm.example>\r\n\r\n"
        b"Hi. This is the qmail-send program at mx.castle-pm.example.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        b"<ops@castle-pm.example>:\r\nRemote host said: 550 5.1.1 <ops@castle-pm.example>... User Unknown\r\n"
        b"Giving up on 192.0.2.153.\r\n\r\n--- Below this line is a copy of the message.\r\n\r\n"
        b"Message-ID: <ours-1@frontline.invalid>\r\nSubject: Planned maintenance\r\n"
    )
    row = deliver(raw)
    assert row.status == RawStatus.REPORT
    assert _state(sent["ops@castle-pm.example"]) == ("bounced", "5.1.1", "failing")
    assert _state(sent["helen@castle-pm.example"])[0] == "accepted"


def test_a_read_receipt_is_automatic_mail_and_opens_no_case(sam, mailoutbox):
    receipt = (
        b"From: Sam Walker <sam@walkerblog.example>\r\nTo: support@frontline.invalid\r\n"
        b"Subject: Read: Planned maintenance\r\nMessage-ID: <mdn-1@walkerblog.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        b"--R\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Reporting-UA: walkerblog.example; Thunderbird\r\n"
        b"Final-Recipient: rfc822; sam@walkerblog.example\r\n"
        b"Original-Message-ID: <ours-1@frontline.invalid>\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n--R--\r\n"
    )
    row = deliver(receipt)
    assert row.status == RawStatus.IGNORED and "read receipt" in row.reason
    assert not Case.objects.exists() and mailoutbox == []  # and nobody is sent an acknowledgement


def test_a_person_writing_from_postmaster_reaches_a_case(sam, sam_person):
    customers.add_contact_point(person=sam_person, kind="email", value="postmaster@walkerblog.example")
    row = deliver(
        mail(sender="Sam Walker <postmaster@walkerblog.example>", subject="Our MX rejects your relay")
    )
    assert row.status == RawStatus.PROCESSED and row.case.customer == sam
