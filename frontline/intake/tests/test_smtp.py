"""Real SMTP on loopback, both ways: smtplib delivers to our aiosmtpd listener, and our backend sends to a
real SMTP server and keeps its answer."""

import smtplib
import time

import pytest
from django.core.management import call_command

from frontline.cases import services as cases
from frontline.customers.models import ContactState
from frontline.delivery.models import AttemptStatus
from frontline.events.models import Event, EventKind
from frontline.intake import smtpd
from frontline.intake.models import RawMessage, RawStatus
from frontline.intake.tests.helpers import deliver, mail

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_mail_delivered_by_smtp_is_stored_before_the_250_and_read_into_a_case(listener, sam):
    with smtplib.SMTP("127.0.0.1", listener.port) as client:
        client.ehlo()
        code, reply = client.docmd("MAIL FROM:<sam@walkerblog.example>")
        client.docmd("RCPT TO:<support@frontline.invalid>")
        code, reply = client.data(mail())

    assert code == 250
    stored_pk = int(reply.decode().rsplit("#", 1)[1])
    assert RawMessage.objects.filter(pk=stored_pk).exists()  # stored when the 250 was given
    assert wait_for(lambda: RawMessage.objects.get(pk=stored_pk).status == RawStatus.PROCESSED)
    row = RawMessage.objects.get(pk=stored_pk)
    assert row.case.customer == sam
    assert row.envelope_sender == "sam@walkerblog.example"


def test_the_listener_speaks_lmtp_for_postfix_delivery(settings, sam):
    from frontline.tests.helpers import free_port

    controller, processor = smtpd.start(host="127.0.0.1", port=free_port(), lmtp=True)
    try:
        with smtplib.LMTP("127.0.0.1", controller.port) as client:
            refused = client.sendmail("sam@walkerblog.example", ["support@frontline.invalid"], mail())
        assert refused == {}
        assert wait_for(lambda: RawMessage.objects.filter(status=RawStatus.PROCESSED).exists())
    finally:
        controller.stop()
        processor.stop()
        processor.join(timeout=10)


def test_a_message_over_the_size_limit_is_refused_with_552_and_nothing_is_kept(listener, settings, sam):
    settings.INTAKE_MAX_MESSAGE_BYTES = 2000
    big = mail(body="x" * 5000)

    with smtplib.SMTP("127.0.0.1", listener.port) as client:
        with pytest.raises(smtplib.SMTPException) as refused:
            client.sendmail("sam@walkerblog.example", ["support@frontline.invalid"], big)
        code = getattr(refused.value, "smtp_code", None) or refused.value.args[0]

    assert code == 552
    assert RawMessage.objects.count() == 0
    # The connection and the listener are still good for the next message.
    with smtplib.SMTP("127.0.0.1", listener.port) as client:
        client.sendmail("sam@walkerblog.example", ["support@frontline.invalid"], mail())
    assert RawMessage.objects.count() == 1


def test_a_reply_carries_our_message_id_thread_headers_and_the_servers_answer(smtp_server, sam, tom):
    case = deliver(mail()).case

    reply = cases.reply_to_case(case, by=tom, body="We restarted the web server.")

    sent = smtp_server.messages()[-1]
    assert sent["Message-ID"] == reply.message_id
    assert sent["In-Reply-To"] == "<m1@walkerblog.example>"
    assert "<m1@walkerblog.example>" in sent["References"]
    assert sent["Reply-To"] == f"support+{case.ref}@frontline.invalid"
    assert case.ref in sent["Subject"]
    attempt = reply.delivery_attempts.get()
    assert attempt.status == AttemptStatus.ACCEPTED
    assert attempt.reply_code == 250 and attempt.reply_text == "2.0.0 Ok: queued as TEST123"
    assert attempt.header_message_id == reply.message_id


def test_a_refused_reply_is_shown_on_the_case_and_condemns_a_dead_address(smtp_server, sam, tom):
    case = deliver(mail()).case
    smtp_server.refuse["sam@walkerblog.example"] = "550 5.1.1 <sam@walkerblog.example>: User unknown"

    reply = cases.reply_to_case(case, by=tom, body="We restarted the web server.")

    assert "User unknown" in reply.send_error
    attempt = reply.delivery_attempts.get()
    assert attempt.status == AttemptStatus.REFUSED and attempt.reply_code == 550
    assert attempt.contact_point.state == ContactState.FAILING
    assert sam.todos.get().kind == "fix_contact"
    assert Event.objects.filter(case=case, kind=EventKind.REPLY_FAILED).exists()


def test_a_temporary_refusal_does_not_condemn_the_address(smtp_server, sam, tom):
    case = deliver(mail()).case
    smtp_server.refuse["sam@walkerblog.example"] = "452 4.2.2 Mailbox full"

    reply = cases.reply_to_case(case, by=tom, body="We restarted the web server.")

    attempt = reply.delivery_attempts.get()
    assert attempt.status == AttemptStatus.DEFERRED and attempt.reply_text.endswith("Mailbox full")
    attempt.contact_point.refresh_from_db()
    assert attempt.contact_point.state == ContactState.VERIFIED


def test_import_mail_reads_maildir_mbox_and_single_files(tmp_path, sam, capsys):
    import mailbox

    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(mail(message_id="<a@x>"))
    box = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    box.add(mail(message_id="<b@x>", subject="Invoice", body="Bill question"))
    box.flush()
    (tmp_path / "one.eml").write_bytes(mail(message_id="<c@x>", sender=""))

    call_command(
        "import-mail", str(tmp_path / "Maildir"), str(tmp_path / "archive.mbox"), str(tmp_path / "one.eml")
    )

    out = capsys.readouterr().out
    assert "3 stored (2 processed, 1 quarantined)" in out
    assert "no sender" in out


def test_a_mail_backend_that_cannot_even_start_is_a_recorded_failure_not_a_crash(settings, sam, tom):
    case = deliver(mail()).case
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = None

    reply = cases.reply_to_case(case, by=tom, body="We restarted the web server.")

    attempt = reply.delivery_attempts.get()
    assert attempt.status == AttemptStatus.REFUSED and "TypeError" in attempt.reply_text
    assert Event.objects.filter(case=case, kind=EventKind.REPLY_FAILED).exists()


def test_import_refuses_a_message_over_the_limit_by_name_and_keeps_the_rest(tmp_path, settings, sam, capsys):
    settings.INTAKE_MAX_MESSAGE_BYTES = 3000
    (tmp_path / "big.eml").write_bytes(mail(body="x" * 10_000, message_id="<big@x>"))
    (tmp_path / "small.eml").write_bytes(mail(message_id="<small@x>"))

    call_command("import-mail", str(tmp_path))

    captured = capsys.readouterr()
    assert "big.eml: not imported" in captured.err and "limit is 3,000" in captured.err
    assert "1 stored (1 processed)" in captured.out
    assert RawMessage.objects.get().header_message_id == "<small@x>"


def test_hostile_mail_through_the_listener_never_stops_it_nor_costs_another_message(listener, sam):
    from frontline.intake.tests.test_hostile_mail import CORPUS

    accepted = 0
    with smtplib.SMTP("127.0.0.1", listener.port) as client:
        for raw in CORPUS.values():
            try:
                client.sendmail("x@example.com", ["support@frontline.invalid"], raw)
                accepted += 1
            except smtplib.SMTPDataError as refused:  # SMTP's own line limit: the sender is told, in SMTP
                assert 500 <= refused.smtp_code < 600
        client.sendmail("sam@walkerblog.example", ["support@frontline.invalid"], mail(message_id="<last@x>"))

    assert wait_for(lambda: not RawMessage.objects.filter(status=RawStatus.PENDING).exists(), seconds=20)
    assert RawMessage.objects.count() == accepted + 1
    assert RawMessage.objects.get(header_message_id="<last@x>").status == RawStatus.PROCESSED
    assert not RawMessage.objects.filter(status=RawStatus.QUARANTINED, reason="").exists()


def test_a_stuck_holder_of_the_write_lock_gets_a_451_not_a_hang(listener, settings, sam):
    from django.db import connection

    from frontline.core.db import machine_lock

    if connection.vendor != "sqlite":
        pytest.skip("only SQLite queues intake's writers on a machine-wide lock")
    settings.FRONTLINE_LOCK_WAIT_SECONDS = 1
    # given another process stuck while holding intake's write lock
    with machine_lock("write"), smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        client.ehlo()
        client.mail("sam@walkerblog.example")
        client.rcpt("support@frontline.invalid")
        code, reply = client.data(mail(message_id="<stuck@walkerblog.example>"))
    # then the sender is told to try again later, and nothing half-stored remains
    assert code == 451 and b"try again later" in reply
    assert not RawMessage.objects.filter(header_message_id="<stuck@walkerblog.example>").exists()
    # and once the lock is free the same message is taken
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        client.ehlo()
        client.mail("sam@walkerblog.example")
        client.rcpt("support@frontline.invalid")
        code, _ = client.data(mail(message_id="<stuck@walkerblog.example>"))
    assert code == 250
