"""Retention: what a provider keeps, and for how long, once it has done its work.

Three settings, each in days (0 keeps for ever, the default):
- FRONTLINE_KEEP_RAW_DAYS: the bytes of each stored contact as it arrived. The row stays (when, from whom,
  its Message-ID and digest, which case it went to) so a late re-delivery is still known; only the bytes go.
  Messages still waiting to be read, or quarantined for a person, are kept whatever their age.
- FRONTLINE_KEEP_ATTACHMENTS_DAYS: customers' files. Name, type, size and digest stay on the message; the
  file goes with the last row that uses it (files are stored by content).
- FRONTLINE_KEEP_FINISHED_JOBS_DAYS (7 by default): the queue's finished jobs; failed ones stay.

What is never removed is the evidence log: every attempt to reach a customer with the server's words,
and every message we sent, as sent. A pass walks each table once, in id order from where the last pass
stopped (`RetentionMark`), in batches, so it reads each row once however large the table grows; the ids
of these tables grow with their time, which a binary search over ids turns into the last id before the
cut-off without an index on the time.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from frontline.cases.models import Attachment
from frontline.core import clock
from frontline.intake.models import RawMessage, RawStatus
from frontline.operations import events
from frontline.operations.models import RetentionMark
from frontline.scheduling.models import Job, JobStatus

BATCH = 2000
# What a person may still need the bytes of: kept whatever their age.
_KEEP_RAW = (RawStatus.PENDING, RawStatus.QUARANTINED, RawStatus.UNCONFIRMED)
log = logging.getLogger(__name__)


@dataclass
class Applied:
    raw_messages: int = 0
    attachments: int = 0
    files: int = 0
    jobs: int = 0
    settings: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.raw_messages or self.attachments or self.jobs)


def apply(*, now=None) -> Applied:
    """One pass over everything past its time. Safe to repeat and to run beside intake."""
    now = now or clock.now()
    done = Applied(
        settings={
            "raw_days": settings.FRONTLINE_KEEP_RAW_DAYS,
            "attachment_days": settings.FRONTLINE_KEEP_ATTACHMENTS_DAYS,
            "finished_job_days": settings.FRONTLINE_KEEP_FINISHED_JOBS_DAYS,
        }
    )
    if settings.FRONTLINE_KEEP_RAW_DAYS:
        done.raw_messages = _purge_raw(now - timedelta(days=settings.FRONTLINE_KEEP_RAW_DAYS), now)
    if settings.FRONTLINE_KEEP_ATTACHMENTS_DAYS:
        cutoff = now - timedelta(days=settings.FRONTLINE_KEEP_ATTACHMENTS_DAYS)
        done.attachments, done.files = _purge_attachments(cutoff, now)
    if settings.FRONTLINE_KEEP_FINISHED_JOBS_DAYS:
        done.jobs = _delete_finished_jobs(now - timedelta(days=settings.FRONTLINE_KEEP_FINISHED_JOBS_DAYS))
    if done:
        events.retention_applied(applied=done)
    return done


def last_id_before(queryset, time_field: str, cutoff) -> int:
    """The highest id whose time is before `cutoff`, for a table whose ids grow with that time: a binary
    search of point lookups by id (about 25 for ten million rows)."""
    low, high = 0, queryset.order_by("-pk").values_list("pk", flat=True).first() or 0
    while low < high:
        middle = (low + high + 1) // 2
        found = queryset.filter(pk__gte=middle).order_by("pk").values_list("pk", time_field).first()
        if found is not None and found[1] < cutoff:
            low = found[0]  # every id up to this one is older than the cut-off
            if low >= high:
                break
        else:
            high = middle - 1
    return low


def _ranges(name: str, up_to: int):
    """(first, last) id ranges from where the last pass stopped up to `up_to`; the mark moves after each."""
    mark, _ = RetentionMark.objects.get_or_create(name=name)
    first = mark.last_id + 1
    while first <= up_to:
        last = min(first + BATCH - 1, up_to)
        yield first, last
        RetentionMark.objects.filter(pk=mark.pk).update(last_id=last)
        first = last + 1


def _purge_raw(cutoff, now) -> int:
    purged = 0
    for first, last in _ranges("raw_messages", last_id_before(RawMessage.objects, "received_at", cutoff)):
        purged += (
            RawMessage.objects.filter(pk__range=(first, last), purged_at__isnull=True)
            .exclude(status__in=_KEEP_RAW)
            .update(raw=b"", purged_at=now)
        )
    return purged


def _purge_attachments(cutoff, now) -> tuple[int, int]:
    rows = files = 0
    up_to = last_id_before(Attachment.objects, "message__created_at", cutoff)
    for first, last in _ranges("attachments", up_to):
        with transaction.atomic():
            batch = Attachment.objects.filter(pk__range=(first, last), purged_at__isnull=True)
            gone = dict(batch.values_list("sha256", "path"))
            rows += batch.update(purged_at=now)
            still_used = set(
                Attachment.objects.filter(sha256__in=gone, purged_at__isnull=True).values_list(
                    "sha256", flat=True
                )
            )
        for digest, path in gone.items():
            if digest not in still_used:
                (settings.ATTACHMENTS_DIR / path).unlink(missing_ok=True)
                files += 1
    return rows, files


def _delete_finished_jobs(cutoff) -> int:
    deleted = 0
    while True:
        ids = list(
            Job.objects.filter(status=JobStatus.SUCCESSFUL, finished_at__lt=cutoff)
            .order_by("finished_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return deleted
        deleted += Job.objects.filter(pk__in=ids).delete()[0]
