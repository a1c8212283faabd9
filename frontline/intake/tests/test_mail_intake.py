"""Mail in: stored raw first, read into one case per problem, threaded, with noise kept off the cases."""

import datetime

import pytest

from frontline.cases import replies
from frontline.cases import services as cases
from frontline.cases.models import Attachment, Case
from frontline.core import clock
from frontline.customers.models import ContactState
from frontline.events.models import Event, EventKind
from frontline.intake import mail as mail_parser
from frontline.intake import services
from frontline.intake.models import RawMessage, RawStatus
from frontline.intake.tests.helpers import deliver, mail, run_jobs

pytestmark = pytest.mark.django_db


def test_a_mail_from_a_known_customer_opens_a_case_and_keeps_its_exact_bytes(sam, sam_person):
    raw = mail()

    row = deliver(raw)

    assert row.status == RawStatus.PROCESSED
    assert bytes(row.raw) == raw
    case = row.case
    assert case.customer == sam and case.requester == sam_person
    message = case.messages.get()
    assert message.body_text.startswith("walkerblog.example answers 503")
    assert message.message_id == "<m1@walkerblog.example>"
    assert row.message == message
    assert row.reason == f"opened {case.ref}"


def test_a_stranger_is_kept_as_an_unmatched_sender_not_dropped_and_not_made_a_customer(db):
    row = deliver(mail(sender="Jo New <jo@new.example>"))

    assert row.status == RawStatus.PROCESSED
    assert row.case.customer.name == "Jo New" and row.case.customer.standing == "unmatched"
    assert row.case.customer.people.get().contacts.get().normalized == "jo@new.example"


def test_our_case_reference_in_the_subject_threads_the_mail(sam, blog):
    first = deliver(mail()).case
    row = deliver(mail(subject=f"Re: [{first.ref}] Blog down", message_id="<m2@x>", body="Any news?"))

    assert row.case == first
    assert row.message.thread_rule == "reference"


def test_plus_addressing_threads_even_when_the_subject_is_rewritten(sam):
    first = deliver(mail()).case
    row = deliver(
        mail(to=f"support+{first.ref}@frontline.invalid", subject="Other words", message_id="<m2@x>")
    )

    assert row.case == first and row.message.thread_rule == "address"


def test_in_reply_to_our_reply_threads_the_answer(sam, sam_person):
    case = deliver(mail()).case
    reply = replies.send_on_case(case, body="We restarted it.", author=None)[0]

    row = deliver(mail(subject="Thanks", message_id="<m2@x>", in_reply_to=reply.message_id, body="Works now"))

    assert row.case == case and row.message.thread_rule == "reply"


def test_a_reply_read_before_its_original_is_joined_with_it_when_the_original_comes(helen):
    reply = deliver(
        mail(
            sender="helen@castle-pm.example",
            subject="Re: line down",
            message_id="<r1@castle>",
            in_reply_to="<o1@castle>",
            references="<o1@castle>",
            body="Adding: the alarm panel is offline too.",
        )
    )
    original = deliver(
        mail(
            sender="helen@castle-pm.example",
            subject="line down",
            message_id="<o1@castle>",
            body="Fibre is dark.",
        )
    )

    assert original.case == reply.case
    assert original.message.thread_rule == "original"
    assert reply.case.messages.count() == 2


def test_a_new_mail_about_the_same_unit_joins_the_open_case_with_its_confidence_shown(sam, blog, sam_person):
    first = deliver(mail(body="walkerblog.example is down, 503 errors")).case
    first.affected_units.add(blog)

    row = deliver(
        mail(
            subject="Still broken!",
            message_id="<m9@x>",
            body="My site walkerblog.example still gives 503 errors",
        )
    )

    assert row.case == first
    assert row.message.thread_rule == "similar"
    assert 0.45 <= row.message.thread_confidence < 1
    assert "walkerblog.example" in row.message.thread_reason
    assert "confidence" in row.reason


def test_an_unrelated_mail_from_the_same_customer_opens_its_own_case(sam, blog):
    first = deliver(mail(body="walkerblog.example is down, 503 errors")).case
    first.affected_units.add(blog)
    with clock.frozen_at(clock.now() + datetime.timedelta(days=2)):
        row = deliver(
            mail(
                subject="Invoice address",
                message_id="<m9@x>",
                body="Please change our invoice address to Leeds",
            )
        )

    assert row.case != first


def test_an_agent_can_split_a_wrongly_joined_message_in_one_step(sam, blog, tom):
    first = deliver(mail(body="walkerblog.example is down")).case
    first.affected_units.add(blog)
    joined = deliver(
        mail(subject="walkerblog.example invoice", message_id="<m3@x>", body="walkerblog.example bill")
    )
    assert joined.case == first

    new = cases.split_message(joined.message, by=tom)

    assert new != first and new.messages.get() == joined.message
    assert first.messages.count() == 1
    assert Event.objects.filter(case=first, kind=EventKind.MESSAGE_SPLIT).exists()


def test_after_a_merge_later_replies_follow_to_the_surviving_case(sam, tom):
    a = deliver(mail()).case
    b = deliver(mail(subject="Invoice", message_id="<b1@x>", body="A question on the bill")).case
    assert a != b

    cases.merge_cases(b, into=a, by=tom, reason="same problem")
    late = deliver(mail(subject="Re: Invoice", message_id="<b2@x>", in_reply_to="<b1@x>", body="and another"))

    b.refresh_from_db()
    assert b.merged_into == a and not b.is_open
    assert late.case == a
    assert a.messages.count() == 3


def test_the_same_message_delivered_twice_is_kept_but_not_repeated_on_the_case(sam):
    raw = mail()
    first = deliver(raw)

    again = deliver(b"Received: from relay2 by mx; Mon, 2 Nov 2026 12:01:00 +0000\r\n" + raw)

    assert again.status == RawStatus.DUPLICATE
    assert again.case == first.case
    assert first.case.messages.count() == 1
    assert RawMessage.objects.count() == 2


@pytest.mark.parametrize(
    "headers,subject",
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: your case"),
        ({"Precedence": "bulk"}, "Newsletter"),
        ({"X-Autoreply": "yes"}, "Away"),
        ({}, "Out of Office: back Monday"),
        ({"List-Id": "<ops.lists.example>"}, "[ops] digest"),
    ],
)
@pytest.mark.django_db(transaction=True)  # jobs handed to RQ at the commit
def test_machines_writing_open_no_case_and_get_no_answer(sam, headers, subject):
    row = deliver(mail(subject=subject, headers=headers))

    assert row.status == RawStatus.IGNORED
    assert Case.objects.count() == 0
    assert run_jobs() == 0


def test_our_own_message_coming_back_is_recognised_as_a_loop(sam, settings):
    row = deliver(mail(headers={"X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID}))

    assert row.status == RawStatus.IGNORED and "loop" in row.reason


def test_a_message_without_a_sender_is_quarantined_with_its_reason_and_kept(db):
    raw = mail(sender="")

    row = deliver(raw)

    assert row.status == RawStatus.QUARANTINED
    assert "no sender" in row.reason
    assert bytes(row.raw) == raw
    assert Event.objects.filter(kind=EventKind.INTAKE_QUARANTINED, data__raw_message_id=row.pk).exists()


def test_a_quarantined_message_is_processed_again_after_the_fault_is_fixed(sam, monkeypatch, ada):
    real_parse = mail_parser.parse

    def broken_parse(raw, **kwargs):
        raise RuntimeError("a bug in the parser")

    monkeypatch.setattr(mail_parser, "parse", broken_parse)
    row = deliver(mail())
    assert row.status == RawStatus.QUARANTINED and "a bug in the parser" in row.reason

    monkeypatch.setattr(mail_parser, "parse", real_parse)
    row = services.reprocess(row, by=ada)

    assert row.status == RawStatus.PROCESSED and row.case.customer == sam


def test_html_only_mail_is_read_as_text_and_shown_only_sanitised(sam):
    html = '<p>Site <b>down</b></p><script>alert(1)</script><img src="x" onerror="steal()">'

    row = deliver(mail(body=None, html=html))

    message = row.message
    assert message.body_text == "Site down"
    assert "<script" not in message.body_html and "onerror" not in message.body_html
    assert "<b>down</b>" in message.body_html
    assert b"<script>alert(1)</script>" in bytes(row.raw)


def test_attachments_are_stored_as_files_and_never_expanded(sam, settings):
    zipped = b"PK\x03\x04" + b"\x00" * 200

    row = deliver(
        mail(attachments=[("logs.zip", "application/zip", zipped), ("shot.png", "image/png", b"\x89PNG")])
    )

    files = {a.filename: a for a in Attachment.objects.filter(message=row.message)}
    assert set(files) == {"logs.zip", "shot.png"}
    stored = settings.ATTACHMENTS_DIR / files["logs.zip"].path
    assert stored.read_bytes() == zipped
    assert files["logs.zip"].size == len(zipped)


@pytest.mark.django_db(transaction=True)  # jobs handed to RQ at the commit
def test_a_new_case_gets_one_short_human_acknowledgement_with_its_reference(sam, mailoutbox):
    row = deliver(mail())
    deliver(mail(subject=f"Re: [{row.case.ref}]", message_id="<m2@x>", body="and a detail"))

    run_jobs()

    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert row.case.ref in sent.subject and row.case.ref in sent.body
    assert sent.body.startswith("Hello Sam,")
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert Event.objects.filter(case=row.case, kind=EventKind.ACKNOWLEDGED).count() == 1


def dsn(*, about: str, recipient: str, status: str, action: str, diagnostic: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.walkerblog.example\r\n"
        "To: support@frontline.invalid\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-" + status + "@mx>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.walkerblog.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {about}\r\nSubject: [C-1] Blog down\r\n"
        "--B--\r\n"
    ).encode()


def _sent_reply(sam, tom):
    case = deliver(mail()).case
    message = cases.reply_to_case(case, by=tom, body="We are on it.")
    return case, message, message.delivery_attempts.get()


def test_a_permanent_bounce_marks_the_address_failing_and_raises_a_fix_contact_todo(sam, tom):
    case, message, attempt = _sent_reply(sam, tom)

    row = deliver(
        dsn(
            about=message.message_id,
            recipient="sam@walkerblog.example",
            status="5.1.1",
            action="failed",
            diagnostic="550 5.1.1 <sam@walkerblog.example>: Recipient address rejected: User unknown",
        )
    )

    assert row.status == RawStatus.REPORT
    attempt.refresh_from_db()
    assert attempt.status == "bounced" and attempt.report_status == "5.1.1"
    point = attempt.contact_point
    point.refresh_from_db()
    assert point.state == ContactState.FAILING and "User unknown" in point.failure_reason
    todo = sam.todos.get()
    assert (
        todo.kind == "fix_contact"
        and todo.contact_point == point
        and todo.evidence["attempt_id"] == attempt.pk
    )
    assert case.messages.count() == 2  # the report is not a message from the customer


def test_a_temporary_failure_is_recorded_without_condemning_the_address(sam, tom):
    _case, message, attempt = _sent_reply(sam, tom)

    deliver(
        dsn(
            about=message.message_id,
            recipient="sam@walkerblog.example",
            status="4.2.2",
            action="delayed",
            diagnostic="452 4.2.2 Mailbox full",
        )
    )

    attempt.refresh_from_db()
    assert attempt.status == "delayed"
    attempt.contact_point.refresh_from_db()
    assert attempt.contact_point.state == ContactState.VERIFIED
    assert not sam.todos.exists()


def test_a_backlog_is_read_in_arrival_order_with_parsing_ahead_in_a_second_process(sam):
    """More than two chunks waiting: the next chunk is parsed in a spawned process while this one writes."""
    from frontline.intake.models import Source

    case = deliver(mail(message_id="<b0@x>", subject="Blog down", body="part 0")).case
    raws = [
        mail(message_id=f"<b{n}@x>", subject=f"Re: [{case.ref}] part {n}", body=f"part {n}")
        for n in range(1, 12)
    ]
    raws.append(mail(sender="", message_id="<broken@x>"))
    for raw in raws:
        services.accept(raw, source=Source.SMTP)

    done = services.process_pending(chunk=5)

    assert done == 12
    rows = list(RawMessage.objects.order_by("pk"))
    assert [row.status for row in rows] == [RawStatus.PROCESSED] * 12 + [RawStatus.QUARANTINED]
    assert [m.body_text for m in case.messages.order_by("pk")] == [f"part {n}" for n in range(12)]
    assert "no sender" in rows[-1].reason


def test_new_conversations_read_ahead_get_the_topic_the_writer_would_have_guessed(trained, monkeypatch):
    """With a backlog, the second process guesses the topics of the new mail with the router's model file;
    each case gets the topic and confidence the writer's own model gives the same words."""
    from frontline.intake.models import Source
    from frontline.routing import services as routing

    subjects = ["SSL certificate expired", "Invoice charged twice", "DNS not resolving", "Mailbox full"]
    for n in range(12):
        body = f"{subjects[n % 4]} on site {n}, please help"
        services.accept(
            mail(
                sender=f"person{n}@elsewhere.example",
                message_id=f"<new{n}@x>",
                subject=subjects[n % 4],
                body=body,
            ),
            source=Source.SMTP,
        )

    guessed_by_the_writer = []
    classify_ahead = routing.classify_ahead
    monkeypatch.setattr(
        routing, "classify_ahead", lambda texts: guessed_by_the_writer.extend(texts) or classify_ahead(texts)
    )

    assert services.process_pending(chunk=4) == 12  # three chunks: all guessed in the second process

    # the writer guessed nothing itself: the guesses made there were found by the very text triage looks
    # them up by (a miss would have the writer guess it)
    assert guessed_by_the_writer == []
    opened = Case.objects.filter(messages__message_id__startswith="<new").select_related("topic")
    assert opened.count() == 12
    for case in opened:
        opening = case.messages.get(message_id__startswith="<new").body_text
        guess = routing.classify(case.subject, opening)  # the writer's own model
        if guess.confidence >= routing.threshold():
            assert (case.topic.slug, case.topic_confidence) == (guess.slug, pytest.approx(guess.confidence))
        else:
            assert case.topic is None
    assert opened.exclude(topic=None).count() >= 8


def test_references_alone_thread_a_reply_whose_client_dropped_in_reply_to(sam):
    case = deliver(mail()).case

    row = deliver(
        mail(
            subject="Re: Blog", message_id="<m7@x>", references="<unknown@elsewhere> <m1@walkerblog.example>"
        )
    )

    assert row.case == case and row.message.thread_rule == "reply"
