"""Faults a deployment meets, met by its real processes: a flood of mail, a full attachments disk, a worker
killed mid-fan-out or while storing one (and, in the scale-out stage of .ci/run, Redis and PostgreSQL
restarted under load). After each: every message answered 250 is stored exactly once, what was refused was
refused with a temporary code, every ladder goes on, and no idempotency key is recorded as a success twice."""

import hashlib
import os
import random
import shlex
import signal
import subprocess
import threading
import time
from collections import Counter
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from smtplib import SMTP, SMTPConnectError

import pytest
from django.db import connection

from frontline.cases.models import Message
from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import SUCCESSES, AttemptStatus, DeliveryAttempt
from frontline.intake.models import RawMessage
from frontline.notifications import services as notifications
from frontline.notifications import storing
from frontline.notifications.models import FanOut, Ladder, Notification, NotificationStatus
from frontline.operations.tests import faults
from frontline.tests.helpers import free_port, stop_process, uses_rq, wait_for, worker_commands, worker_env

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]


def _mail_answer(port: int) -> int:
    """What the listener answers to MAIL FROM now (the session then ends without a message)."""
    with SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        code, _ = client.mail("sam@walkerblog.example")
        return code


def test_a_flood_is_pushed_back_with_421_and_451_and_every_message_is_stored_once():
    # given the listener as a deployment runs it, allowed six sessions and two messages waiting to be stored
    port = free_port()
    env = worker_env(
        FRONTLINE_SMTPD_HOST="127.0.0.1",
        FRONTLINE_SMTPD_PORT=str(port),
        FRONTLINE_SMTPD_MAX_SESSIONS="6",
        FRONTLINE_SMTPD_MAX_WAITING="2",
        FRONTLINE_LOCK_WAIT_SECONDS="60",
    )
    smtpd = faults.start("smtpd", env)
    try:
        faults.listening(port)
        waited: list[int] = []
        with faults.intake_writes_held():
            # when two messages reach the store while another writer holds intake's table
            blocked = [
                threading.Thread(target=faults.deliver, args=(port, faults.mail(n, tag="held")[1], waited))
                for n in range(2)
            ]
            for thread in blocked:
                thread.start()
            # then the next sender is told 451 at MAIL FROM: come back later
            wait_for(lambda: _mail_answer(port) == 451, 30, "MAIL to be refused for now")
            # and a session beyond the six allowed is told 421 before any greeting
            idle = [SMTP("127.0.0.1", port, timeout=30) for _ in range(4)]
            with pytest.raises(SMTPConnectError) as refused:
                SMTP("127.0.0.1", port, timeout=30)
            assert refused.value.smtp_code == 421
            for session in idle:
                session.quit()
        # when the other writer lets go, the two waiting messages are stored and answered 250
        for thread in blocked:
            thread.join(timeout=120)
        assert waited == [250, 250]

        # when forty sending servers deliver three messages each at once (the flood is the forty against six
        # sessions: six messages each only made the test twice as long), retrying what is refused
        answers: list[int] = []
        flood = [faults.mail(n, size=20_000) for n in range(120)]
        senders = [
            threading.Thread(
                target=lambda part=flood[i::40]: [faults.deliver(port, raw, answers) for _, raw in part]
            )
            for i in range(40)
        ]
        peak = [faults.resident_mb(smtpd.pid)]
        for sender in senders:
            sender.start()
        while any(sender.is_alive() for sender in senders):
            peak.append(faults.resident_mb(smtpd.pid))
            for sender in senders:
                sender.join(timeout=0.05)
    finally:
        stop_process(smtpd)
    # then every message was answered 250 in the end, and every refusal on the way was temporary
    counted = Counter(answers)
    assert counted[250] == len(flood)
    assert set(counted) <= {250, 421, 451}, counted
    assert counted[421] > 0  # the flood met the session limit
    # and each is stored exactly once
    stored = Counter(RawMessage.objects.values_list("header_message_id", flat=True))
    assert all(stored[message_id] == 1 for message_id, _ in flood)
    assert stored["<held-0@walkerblog.example>"] == stored["<held-1@walkerblog.example>"] == 1
    # and the listener's memory stayed within what its unit allows (MemoryMax=500M)
    assert max(peak) < 400, f"{max(peak):.0f} MiB"
    print(f"flood: {dict(counted)}; listener's peak memory {max(peak):.0f} MiB")


@pytest.fixture
def small_disk(tmp_path):
    """A directory on a 1 MiB filesystem of its own (tmpfs), grown by `grow()`; unmounted after."""
    folder = tmp_path / "attachments"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=True)

    def grow():
        subprocess.run(["mount", "-o", "remount,size=16m", str(folder)], check=True)

    yield folder, grow
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a size-limited directory takes root (CI runs as root)"
)
def test_a_full_attachments_disk_keeps_mail_waiting_until_there_is_room(small_disk):
    folder, grow = small_disk
    # given the listener with its attachments on a 1 MiB disk
    port = free_port()
    env = worker_env(
        FRONTLINE_SMTPD_HOST="127.0.0.1",
        FRONTLINE_SMTPD_PORT=str(port),
        FRONTLINE_ATTACHMENTS_DIR=str(folder),
    )
    files = {f"log-{n}.bin": random.Random(n).randbytes(300_000) for n in range(5)}
    smtpd = faults.start("smtpd", env)
    try:
        faults.listening(port)
        # when five customers each send a 300 kB log file
        for n, (name, data) in enumerate(files.items()):
            message = EmailMessage()
            message["From"], message["To"] = f"owner{n}@shop{n}.example", "support@northwind.example"
            message["Subject"], message["Message-ID"] = f"checkout fails {n}", f"<quota-{n}@shop{n}.example>"
            message.set_content("The log is attached.")
            message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
            assert faults.send_once(port, message.as_bytes(policy=SMTP_POLICY)) == 250
        # then the mail that fits is read, and the rest waits for room, with its reason, and nothing is lost
        waiting = RawMessage.objects.filter(status="pending", reason__startswith="waiting for disk space")
        wait_for(
            lambda: (
                waiting.exists()
                and RawMessage.objects.filter(status="processed").count() + waiting.count() == 5
            ),
            60,
            "the disk to fill",
        )
        assert not RawMessage.objects.filter(status="quarantined").exists()
        assert not list(folder.rglob("*.part"))  # no half-written file left behind
        # and while the disk stays full, ten more mails (each wakes the reader) are read without the waiting
        # ones being tried again each time: they wait for the retry interval
        tries = dict(waiting.values_list("pk", "attempts"))
        for n in range(10):
            message = EmailMessage()
            message["From"], message["To"] = f"owner{n}@shop{n}.example", "support@northwind.example"
            message["Subject"], message["Message-ID"] = f"still down {n}", f"<plain-{n}@shop{n}.example>"
            message.set_content("No attachment this time.")
            assert faults.send_once(port, message.as_bytes(policy=SMTP_POLICY)) == 250
        wait_for(
            lambda: RawMessage.objects.filter(status="processed").count() == 15 - len(tries), 30, "plain mail"
        )
        assert dict(waiting.values_list("pk", "attempts")) == tries
        # when the disk is given room, the listener's reader takes the waiting mail on its next round
        grow()
        wait_for(lambda: RawMessage.objects.filter(status="processed").count() == 15, 60, "the waiting mail")
    finally:
        stop_process(smtpd)
    # then each message is on a case once, with its file whole
    for n, (name, data) in enumerate(files.items()):
        [message] = Message.objects.filter(message_id=f"<quota-{n}@shop{n}.example>")
        [attachment] = message.attachments.all()
        assert (attachment.filename, attachment.sha256) == (name, hashlib.sha256(data).hexdigest())
        assert (folder / attachment.path).read_bytes() == data


def _fan_out_to(count: int):
    """`count` customers, each with a verified address, told of one incident by email (one rung)."""
    people = []
    for n in range(count):
        customer = customers.create_customer(name=f"Shop {n}", customer_since="2020-01-01")
        point = customers.add_contact_point(customer=customer, kind="email", value=f"ops{n}@shop{n}.example")
        customers.verify_contact_point(point)
        people.append(customer)
    Ladder.objects.update(is_active=False)
    Ladder.objects.create(
        name="email", steps=[{"channel": "email", "wait_minutes": 0}], created_at=clock.now()
    )
    return notifications.fan_out(
        subject_kind="incident",
        subject_id="INC-7",
        title="web-07 down",
        body="We are on it.",
        customers=people,
    )


def _sending_env(settings, **extra) -> dict:
    """Workers' environment: email to the test's SMTP server, a killed worker's claims expiring in 3 s."""
    return worker_env(
        FRONTLINE_EMAIL_BACKEND="frontline.delivery.smtp.EmailBackend",
        FRONTLINE_SMTP_HOST="127.0.0.1",
        FRONTLINE_SMTP_PORT=str(settings.EMAIL_PORT),
        FRONTLINE_NOTIFY_CLAIM_SECONDS="3",
        **extra,
    )


def _sent_once_each(fanout, mailbox) -> None:
    """Every notice's rung succeeded exactly once, under one key; what reached the mail server twice was a
    send the killed worker could not record, sent again with the same Message-ID for the receiver to drop."""
    attempts = DeliveryAttempt.objects.filter(notification__fanout=fanout, step=0)
    successes = attempts.filter(status__in=SUCCESSES)
    assert successes.count() == fanout.total
    assert len(set(successes.values_list("notification_id", flat=True))) == fanout.total
    assert len(set(successes.values_list("idempotency_key", flat=True))) == fanout.total
    received = Counter(message["Message-ID"] for message in mailbox.messages())
    assert set(received) == set(successes.values_list("header_message_id", flat=True))
    twice = {message_id for message_id, n in received.items() if n > 1}
    in_doubt = set(attempts.filter(status=AttemptStatus.UNKNOWN).values_list("header_message_id", flat=True))
    assert twice <= in_doubt


def test_a_worker_killed_mid_fan_out_leaves_nobody_untold_and_nobody_told_twice_as_a_success(
    smtp_server, settings
):
    # given a fan-out to 300 customers, and the job-running process as a deployment starts it
    fanout = _fan_out_to(300)
    env = _sending_env(settings)
    doomed, *helpers = [
        subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in worker_commands("doomed")
    ]
    try:
        # when it is killed (SIGKILL: no goodbye) after the first sixty notices reached the mail server
        wait_for(lambda: len(smtp_server.envelopes) >= 60, 120, "the fan-out to be under way")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        told = len(smtp_server.envelopes)
        assert told < fanout.total  # killed mid-way
        # then another worker takes over the rungs the dead one held, once their claims run out
        rescuer, *more = [
            subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in worker_commands("rescuer")
        ]
        helpers += [rescuer, *more]
        done = DeliveryAttempt.objects.filter(notification__fanout=fanout, step=0, status__in=SUCCESSES)
        wait_for(lambda: done.count() >= fanout.total, 180, "every customer to be told")
    finally:
        for process in helpers:
            stop_process(process)
    # and everyone was told, each exactly once as far as our records go
    _sent_once_each(fanout, smtp_server)
    assert (
        not Notification.objects.filter(fanout=fanout, status=NotificationStatus.ACTIVE)
        .exclude(claim_token="")
        .exists()
    )


def test_a_worker_killed_while_storing_a_fan_out_leaves_it_to_another_and_everyone_is_told_once(
    smtp_server, settings
):
    # given a fan-out to 300 customers stored a notice a transaction: the first with it, the rest by a job
    settings.FRONTLINE_FANOUT_CHUNK = 1
    fanout = _fan_out_to(300)
    env = _sending_env(settings, FRONTLINE_FANOUT_CHUNK="1")
    doomed, *helpers = [
        subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in worker_commands("storing")
    ]
    stored = FanOut.objects.filter(pk=fanout.pk).values_list("stored", flat=True)
    try:
        # when the worker storing the rest is killed (SIGKILL) part of the way through
        # (read without pause: the whole store takes a fraction of a second, less than wait_for's pause)
        deadline = time.monotonic() + 120
        while stored.get() < 20:
            assert time.monotonic() < deadline, "the storing never started"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        assert stored.get() < fanout.total  # killed mid-way
        # then, once no chunk has been stored for a while, the recurring job hands the rest to a new job
        settings.FRONTLINE_FANOUT_STALLED_SECONDS = 1
        wait_for(storing.resume_stalled, 30, "the store to be seen stalled")
        helpers += [subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in worker_commands("taker")]
        done = DeliveryAttempt.objects.filter(notification__fanout=fanout, step=0, status__in=SUCCESSES)
        wait_for(lambda: done.count() >= fanout.total, 180, "every customer to be told")
    finally:
        for process in helpers:
            stop_process(process)
    # and every customer has one notice, told exactly once as far as our records go
    assert stored.get() == fanout.total == Notification.objects.filter(fanout=fanout).count()
    _sent_once_each(fanout, smtp_server)


@pytest.mark.skipif(not uses_rq(), reason="the Redis-backed queue's restart: the scale-out stage of .ci/run")
def test_redis_restarted_mid_fan_out_loses_no_notice(smtp_server, settings):
    # given a fan-out to 300 customers under way on RQ's workers
    fanout = _fan_out_to(300)
    env = _sending_env(settings)
    commands = worker_commands("through-restart")
    processes = [subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in commands]
    try:
        wait_for(lambda: len(smtp_server.envelopes) >= 60, 120, "the fan-out to be under way")
        # when Redis stops without saving (every queued job lost) and comes back empty
        faults.restart_redis(settings.RQ_QUEUES["default"]["URL"])
        assert len(smtp_server.envelopes) < fanout.total  # restarted mid-way
        # then the rungs whose jobs were lost are claimed again from their rows, and everyone is told
        done = DeliveryAttempt.objects.filter(notification__fanout=fanout, step=0, status__in=SUCCESSES)

        def everyone_told():
            faults.supervise(processes, commands, env)
            return done.count() >= fanout.total

        wait_for(everyone_told, 180, "every customer to be told")
    finally:
        for process in processes:
            stop_process(process)
    _sent_once_each(fanout, smtp_server)


# How this machine restarts PostgreSQL (`pg_ctlcluster 15 main restart`): .ci/run's scale-out stage says.
PG_RESTART = os.environ.get("FRONTLINE_TEST_PG_RESTART", "")


@pytest.mark.skipif(not PG_RESTART, reason="needs FRONTLINE_TEST_PG_RESTART: the scale-out stage of .ci/run")
def test_postgresql_restarted_during_smtp_intake_loses_no_mail():
    # given the listener as a deployment runs it, and twenty sending servers delivering 600 messages
    port = free_port()
    env = worker_env(FRONTLINE_SMTPD_HOST="127.0.0.1", FRONTLINE_SMTPD_PORT=str(port))
    smtpd = faults.start("smtpd", env)
    answers: list[int] = []
    flood = [faults.mail(n, tag="restart") for n in range(600)]
    try:
        faults.listening(port)
        senders = [
            threading.Thread(
                target=lambda part=flood[i::20]: [faults.deliver(port, raw, answers) for _, raw in part]
            )
            for i in range(20)
        ]
        for sender in senders:
            sender.start()
        # when PostgreSQL restarts while they deliver
        wait_for(lambda: answers.count(250) >= 40, 60, "intake to be under way")
        before = answers.count(250)
        subprocess.run(shlex.split(PG_RESTART), check=True, capture_output=True)
        for sender in senders:
            sender.join(timeout=300)
        connection.close()  # this test's own connection died with the server
        # then every message was answered 250 in the end, refused only with temporary codes meanwhile
        counted = Counter(answers)
        assert counted[250] == 600 and before < 600
        assert set(counted) <= {250, 421, 451, 0}, counted  # 0: the connection dropped without an answer
        assert counted[451] + counted[0] > 0  # the restart was met, and answered for
        # and once the listener has read them, each is on a case exactly once
        rows = RawMessage.objects.filter(header_message_id__startswith="<restart-")
        wait_for(lambda: not rows.filter(status="pending").exists(), 120, "the stored mail to be read")
    finally:
        stop_process(smtpd)
    stored = Counter(rows.values_list("header_message_id", flat=True))
    on_cases = Counter(
        Message.objects.filter(message_id__startswith="<restart-").values_list("message_id", flat=True)
    )
    assert all(stored[message_id] >= 1 and on_cases[message_id] == 1 for message_id, _ in flood)
    # a store that committed but whose answer was lost with the connection is delivered again: kept
    # as a duplicate of the first, never repeated on the case
    print(f"PostgreSQL restart: {dict(counted)}; stored twice: {sum(n - 1 for n in stored.values())}")
    assert not rows.exclude(status__in=["processed", "duplicate"]).exists()
