# ruff: noqa: E501  (raw mail in byte strings reads best unbroken)
"""Hostile and broken mail: each is kept raw and read or quarantined with a reason; none crashes intake or
costs another message. Then properties: the parser fails only in its own words, and a thread delivered in
any order ends as one case."""

import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontline.cases import services as cases
from frontline.cases.models import Attachment, Message
from frontline.customers import services as customers
from frontline.intake import mail as parser
from frontline.intake.models import RawMessage, RawStatus
from frontline.intake.tests.helpers import deliver, mail

pytestmark = pytest.mark.django_db

HEAD = b"From: Sam Walker <sam@walkerblog.example>\r\nTo: support@frontline.invalid\r\n"

CORPUS = {
    "truncated multipart": HEAD
    + b'Subject: cut\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    b"--XX\r\nContent-Type: text/plain\r\n\r\nthe start of a message\r\n--XX\r\n"
    b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJ",
    "unknown charset": HEAD
    + b"Subject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nQapla\xe9\xff",
    "latin-1 bytes declared utf-8": HEAD
    + b"Subject: caf\xe9\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe caf\xe9 est ferm\xe9",
    "8-bit headers": b"From: J\xc3\xb6rg M\xfcller <joerg@example.de>\r\nSubject: Gr\xc3\xbc\xdfe \xff\r\n\r\nHallo",
    "missing from": b"To: support@frontline.invalid\r\nSubject: who am I\r\n\r\nno sender here",
    "empty": b"",
    "binary garbage": bytes(range(256)) * 4,
    "headers only": HEAD + b"Subject: nothing else",
    "huge header": HEAD + b"Subject: " + b"A" * 100_000 + b"\r\n\r\nbody",
    "nul bytes in body": HEAD + b"Subject: nul\r\n\r\nbefore\x00after",
    "broken base64": HEAD
    + b"Subject: b64\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64===",
    "garbage addresses": b"From: <<<@@@>>>\r\nTo: ,,,;;;\r\nSubject: x\r\n\r\nbody",
    "nested rfc822": HEAD
    + b'Subject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="A"\r\n\r\n'
    b"--A\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n"
    b'From: x@y\r\nSubject: inner\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: z@y\r\nSubject: innermost\r\n\r\ndeep\r\n--B--\r\n--A--\r\n",
    "zip bomb": HEAD
    + b'Subject: logs\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="Z"\r\n\r\n'
    b"--Z\r\nContent-Type: text/plain\r\n\r\nlogs attached\r\n--Z\r\n"
    b'Content-Type: application/zip; name="42.zip"\r\nContent-Disposition: attachment; filename="42.zip"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAAAAIQAAAAAAAAAAAAAAAAAIAAAAMC5kYXRhCgo=\r\n--Z--\r\n",
    "header injection": HEAD
    + b"Subject: =?utf-8?q?Hello=0D=0ABcc=3A_victim=40example=2Ecom?=\r\n\r\nPlease answer",
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_hostile_mail_is_kept_raw_and_read_or_quarantined_and_intake_goes_on(name, sam):
    raw = CORPUS[name]

    row = deliver(raw)

    assert bytes(row.raw) == raw
    assert row.status in (RawStatus.PROCESSED, RawStatus.QUARANTINED, RawStatus.IGNORED), row.status
    if row.status == RawStatus.QUARANTINED:
        assert row.reason
    after = deliver(mail(message_id=f"<after-{len(raw)}@x>"))
    assert after.status == RawStatus.PROCESSED


def test_a_zip_is_stored_as_sent_never_expanded(sam, settings):
    row = deliver(CORPUS["zip bomb"])

    stored = Attachment.objects.get(message=row.message)
    assert stored.filename == "42.zip"
    assert (settings.ATTACHMENTS_DIR / stored.path).stat().st_size == stored.size < 100


def test_nested_mail_is_kept_as_an_attachment(sam):
    row = deliver(CORPUS["nested rfc822"])

    assert row.status == RawStatus.PROCESSED
    assert Attachment.objects.get(message=row.message).content_type == "message/rfc822"


def test_a_header_injection_in_the_subject_never_reaches_our_replies(sam, tom, mailoutbox):
    row = deliver(CORPUS["header injection"])

    cases.reply_to_case(row.case, by=tom, body="Hello")

    sent = mailoutbox[-1].message()
    assert "\n" not in row.case.subject and "\r" not in row.case.subject
    assert sent["Bcc"] is None and "victim@example.com" not in sent.get_all("To", [])[0]


def test_an_unknown_charset_keeps_the_readable_text(sam):
    row = deliver(CORPUS["latin-1 bytes declared utf-8"])

    assert row.status == RawStatus.PROCESSED
    assert row.message.body_text.startswith("Le caf")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_the_parser_fails_only_with_a_reason_on_any_bytes(raw):
    try:
        parsed = parser.parse(raw)
    except parser.UnreadableMail as exc:
        assert str(exc)
    else:
        assert parsed.text and "\n" not in parsed.subject


@settings(max_examples=200, deadline=None)
@given(
    subject=st.text(max_size=200),
    body=st.text(max_size=2000),
    charset=st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "x-unknown"]),
)
def test_mail_in_any_charset_with_any_text_parses_or_is_refused_with_a_reason(subject, body, charset):
    raw = (
        HEAD
        + b"Subject: "
        + subject.encode("utf-8", "surrogatepass")
        + f"\r\nContent-Type: text/plain; charset={charset}\r\n\r\n".encode()
        + body.encode("utf-8", "surrogatepass")
    )
    try:
        parsed = parser.parse(raw)
    except parser.UnreadableMail as exc:
        assert str(exc)
    else:
        assert "\n" not in parsed.subject and "\x00" not in parsed.text


class Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=2, max_value=5),
    full_references=st.booleans(),
    order_seed=st.integers(min_value=0, max_value=10_000),
)
def test_a_thread_delivered_in_any_order_ends_as_one_case(db, size, full_references, order_seed):
    ids = [f"<t{n}@castle-pm.example>" for n in range(size)]
    thread = []
    for n, message_id in enumerate(ids):
        refs = ids[:n] if full_references else ids[max(n - 1, 0) : n]
        thread.append(
            mail(
                sender="helen@castle-pm.example",
                subject="line down" if n == 0 else "Re: line down",
                message_id=message_id,
                in_reply_to=ids[n - 1] if n else "",
                references=" ".join(refs),
                body=f"part {n}: {['alpha', 'bravo', 'charlie', 'delta', 'echo'][n]} zulu{n}",
            )
        )
    orders = list(itertools.permutations(range(size)))
    order = orders[order_seed % len(orders)]
    try:
        with transaction.atomic():
            customer = customers.create_customer(name="Castle")
            person = customers.add_person(customer, name="Helen")
            customers.add_contact_point(person=person, kind="email", value="helen@castle-pm.example")
            for index in order:
                deliver(thread[index])
            finals = {
                cases.follow_merges(m.case).pk
                for m in Message.objects.filter(message_id__in=ids).select_related("case")
            }
            assert len(finals) == 1, f"order {order} left {len(finals)} cases"
            assert RawMessage.objects.filter(status=RawStatus.PROCESSED).count() == size
            raise Rollback
    except Rollback:
        pass
