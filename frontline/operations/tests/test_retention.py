"""Retention: raw bytes, attachments and finished jobs go when their time is up; the rows that say what
happened stay, and the evidence log (attempts to reach customers, what we sent) is never touched."""

import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest
from django.conf import settings

from frontline.cases.models import Attachment, Message
from frontline.cases.replies import reply_to_case
from frontline.core import clock
from frontline.delivery.models import DeliveryAttempt
from frontline.events.models import Event
from frontline.intake import services as intake
from frontline.intake.models import RawMessage, Source
from frontline.operations import retention
from frontline.operations.events import RETENTION_APPLIED
from frontline.scheduling.models import Job, JobStatus

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def _days_ago(days: int) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def _arrives(
    n: int, days_ago: int, *, files: dict | None = None, body: str = "The shop is down."
) -> RawMessage:
    message = EmailMessage()
    message["From"], message["To"] = "sam@walkerblog.example", "support@northwind.example"
    message["Subject"], message["Message-ID"] = f"down {n}", f"<keep-{n}@walkerblog.example>"
    message.set_content(body)
    for name, data in (files or {}).items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    with clock.frozen_at(_days_ago(days_ago)):
        row, _ = intake.accept(message.as_bytes(policy=SMTP_POLICY), source=Source.IMPORT)
        return intake.process(row)


@pytest.fixture
def keep(settings):
    settings.FRONTLINE_KEEP_RAW_DAYS = 30
    settings.FRONTLINE_KEEP_ATTACHMENTS_DAYS = 60
    settings.FRONTLINE_KEEP_FINISHED_JOBS_DAYS = 7
    return settings


@pytest.mark.django_db
def test_raw_bytes_past_their_time_go_and_the_row_and_its_case_stay(keep, sam, client, tom):
    # given mail read 100 and 10 days ago, and mail quarantined 100 days ago (a person has not looked yet)
    old, recent = _arrives(1, 100), _arrives(2, 10)
    with clock.frozen_at(_days_ago(100)):
        unread, _ = intake.accept(b"not mail at all", source=Source.IMPORT)
        intake.process(unread)
    # when the retention pass runs
    with clock.frozen_at(NOW):
        applied = retention.apply()
    # then the old mail's bytes are gone, and only those
    assert applied.raw_messages == 1
    old.refresh_from_db()
    assert bytes(old.raw) == b"" and old.purged_at == NOW and old.size > 0
    assert bytes(RawMessage.objects.get(pk=recent.pk).raw) != b""
    assert bytes(RawMessage.objects.get(pk=unread.pk).raw) == b"not mail at all"
    # and what was read from it is still on its case, and the original's page says where it went
    assert Message.objects.get(pk=old.message_id).body_text.startswith("The shop is down.")
    client.force_login(tom.user)
    gone = client.get(f"/intake/raw/{old.pk}/")
    assert gone.status_code == 410 and "FRONTLINE_KEEP_RAW_DAYS" in gone.content.decode()
    # and the same mail delivered again is still known for what it is
    again = _arrives(1, 0)
    assert again.status == "duplicate" and again.message_id == old.message_id


@pytest.mark.django_db
def test_files_go_with_the_last_row_that_uses_them(keep, sam, client, tom):
    # given a log file sent 90 days ago and again 5 days ago, and a photo sent only 90 days ago
    log, photo = b"error: disk full\n" * 500, b"\x89PNG fake photo" * 100
    first = _arrives(1, 90, files={"error.log": log, "screen.png": photo})
    second = _arrives(2, 5, files={"error.log": log})
    # when the retention pass runs
    with clock.frozen_at(NOW):
        applied = retention.apply()
    # then the old rows are marked, the photo's file is gone, the log's file stays for the newer row
    assert (applied.attachments, applied.files) == (2, 1)
    old_log, old_photo = Attachment.objects.filter(message_id=first.message_id).order_by("filename")
    assert old_log.purged_at == NOW and old_photo.purged_at == NOW
    assert not (settings.ATTACHMENTS_DIR / old_photo.path).exists()
    [new_log] = Attachment.objects.filter(message_id=second.message_id)
    assert new_log.purged_at is None and (settings.ATTACHMENTS_DIR / new_log.path).read_bytes() == log
    # and the message still says what came with it, while the file's link says why it is gone
    assert (old_photo.filename, old_photo.size) == ("screen.png", len(photo))
    client.force_login(tom.user)
    case = Message.objects.get(pk=first.message_id).case
    gone = client.get(f"/cases/{case.ref}/attachments/{old_photo.pk}")
    assert gone.status_code == 410 and "screen.png" in gone.content.decode()


@pytest.mark.django_db
def test_the_evidence_log_and_what_we_sent_are_never_removed(keep, sam, tom, smtp_server):
    # given a reply we sent 400 days ago, with the mail server's answer recorded
    opened = _arrives(1, 401)
    case = Message.objects.get(pk=opened.message_id).case
    with clock.frozen_at(_days_ago(400)):
        sent = reply_to_case(case, by=tom, body="We have restarted the server.")
    attempts = list(DeliveryAttempt.objects.values_list("pk", "status", "reply_text"))
    assert attempts
    # when the retention pass runs
    with clock.frozen_at(NOW):
        retention.apply()
    # then every attempt and the sent message are as they were
    assert list(DeliveryAttempt.objects.values_list("pk", "status", "reply_text")) == attempts
    sent_now = Message.objects.get(pk=sent.pk)
    assert sent_now.body_text == sent.body_text and bytes(sent_now.raw_source) == bytes(sent.raw_source)


@pytest.mark.django_db
def test_finished_jobs_go_after_a_week_failed_ones_stay(keep):
    def job(status, days):
        return Job.objects.create(
            task_path="frontline.intake.tasks.process_pending_messages",
            status=status,
            due_at=_days_ago(days),
            enqueued_at=_days_ago(days),
            finished_at=_days_ago(days),
        )

    old, recent, failed = (
        job(JobStatus.SUCCESSFUL, 10),
        job(JobStatus.SUCCESSFUL, 2),
        job(JobStatus.FAILED, 30),
    )
    with clock.frozen_at(NOW):
        assert retention.apply().jobs == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}
    assert not Job.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_a_second_pass_reads_only_what_is_new_and_each_pass_is_on_record(keep, sam):
    _arrives(1, 100)
    with clock.frozen_at(NOW):
        first = retention.apply()
        second = retention.apply()
    assert first.raw_messages == 1 and not second
    [event] = Event.objects.filter(kind=RETENTION_APPLIED)
    assert event.data["raw_messages"] == 1 and event.data["settings"]["raw_days"] == 30


@pytest.mark.django_db
def test_the_last_id_before_a_time_is_found_across_gaps_in_the_ids(keep):
    # given rows whose ids have gaps (deleted ones) and whose times grow with them
    rows = [
        Job.objects.create(task_path="t", due_at=_days_ago(50 - n), enqueued_at=_days_ago(50 - n))
        for n in range(40)
    ]
    Job.objects.filter(pk__in=[rows[n].pk for n in (5, 6, 7, 20, 21, 39)]).delete()
    # then the search lands on the last row before each cut-off, or 0 before the first
    for days in (45, 31, 29, 12, 100):
        cutoff = _days_ago(days)
        expected = max((r.pk for r in Job.objects.all() if r.enqueued_at < cutoff), default=0)
        assert retention.last_id_before(Job.objects, "enqueued_at", cutoff) == expected, days
