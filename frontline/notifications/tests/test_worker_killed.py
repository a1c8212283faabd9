"""A worker killed with SIGKILL in the middle of a rung loses no step and records at most one success per
key; the ladder then climbs on a clock that the test and the worker processes share."""

import signal
import subprocess
from datetime import timedelta

import pytest

from frontline.core import clock
from frontline.customers import services as customers
from frontline.delivery.models import AttemptStatus, DeliveryAttempt
from frontline.notifications import services
from frontline.notifications.models import Ladder, NotificationStatus
from frontline.notifications.tests.helpers import T0
from frontline.tests.helpers import stop_process, wait_for, worker_commands, worker_env


def _workers(name: str, env: dict) -> list[subprocess.Popen]:
    """The job-running process first (the one the test kills), then any helper (RQ's periodic enqueuer)."""
    return [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in worker_commands(name)
    ]


@pytest.mark.subprocess
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_the_gateways_answer_and_our_record_loses_nothing(
    sam, sam_phone, sam_email, smtp_server, receiver, settings, tmp_path, monkeypatch
):
    # given one clock for this test and every worker, and both of Sam's contacts verified (so the
    # verification cycle has nothing to send), and a ladder: SMS now, email fifteen minutes later
    clock_file = tmp_path / "clock.json"
    clock.set_clock_file(clock_file, T0, speed=1)
    monkeypatch.setenv("FRONTLINE_CLOCK_FILE", str(clock_file))
    customers.verify_contact_point(sam_phone)
    ladder = Ladder.objects.create(
        name="sms then email",
        steps=[{"channel": "sms", "wait_minutes": 0}, {"channel": "email", "wait_minutes": 15}],
        created_at=T0,
    )
    notification = services.notify(
        sam,
        subject_kind="incident",
        subject_id="INC-9",
        title="web-07 down",
        body="We are on it.",
        ladder=ladder,
    )
    env = worker_env(
        FRONTLINE_CLOCK_FILE=str(clock_file),
        FRONTLINE_SMS_URL=settings.FRONTLINE_SMS_URL,
        FRONTLINE_EMAIL_BACKEND="frontline.delivery.smtp.EmailBackend",
        FRONTLINE_SMTP_HOST="127.0.0.1",
        FRONTLINE_SMTP_PORT=str(settings.EMAIL_PORT),
        FRONTLINE_NOTIFY_CLAIM_SECONDS="3",
    )
    # and an SMS gateway that takes the message and then is slow to answer
    receiver.answers["/sms/"] = (200, 60)
    doomed, *helpers = _workers("doomed", env)
    try:
        wait_for(lambda: len(receiver.to("/sms/")) == 1, 60, "the gateway to receive the SMS")
        # when the worker is killed after the gateway has the message and before we record its answer
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    except BaseException:
        for process in [doomed, *helpers]:
            process.kill()
        raise
    [interrupted] = DeliveryAttempt.objects.filter(notification=notification)
    assert interrupted.status == AttemptStatus.SENDING
    # then another worker runs the rung again once the claim has expired, with the same key
    receiver.answers["/sms/"] = (200, 0)
    rescuer, *more_helpers = _workers("rescuer", env)
    try:
        wait_for(
            lambda: DeliveryAttempt.objects.filter(notification=notification, status="accepted").exists(),
            60,
            "the rung to run again",
        )
        first, second = receiver.to("/sms/")
        assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
        attempts = DeliveryAttempt.objects.filter(notification=notification, step=0).order_by("pk")
        assert [a.status for a in attempts] == [AttemptStatus.UNKNOWN, AttemptStatus.ACCEPTED]
        assert "sent again with the same key" in attempts[0].reply_text
        assert {a.idempotency_key for a in attempts} == {first.headers["Idempotency-Key"]}
        # and the ladder waits for its next rung on the shared clock: nothing before fifteen minutes
        notification.refresh_from_db()
        assert notification.next_step == 1 and smtp_server.messages() == []
        # when the test moves the shared clock on, the worker process sees it and sends the email rung
        clock.set_clock_file(clock_file, notification.next_due_at + timedelta(seconds=1), speed=1)
        wait_for(lambda: len(smtp_server.messages()) == 1, 60, "the email rung")
        wait_for(
            lambda: (
                services.Notification.objects.get(pk=notification.pk).status == NotificationStatus.EXHAUSTED
            ),
            30,
            "the ladder to finish",
        )
    finally:
        for process in [rescuer, *helpers, *more_helpers]:
            stop_process(process)
    # and no key was ever recorded as a success twice
    keys = DeliveryAttempt.objects.filter(notification=notification, status__in=["accepted", "delivered"])
    assert keys.count() == len(set(keys.values_list("idempotency_key", flat=True))) == 2
