"""A fan-out's notices, stored a chunk per transaction: the first chunk with the fan-out itself, the rest by a
job, so that workers send the first notices while the rest are stored. In one transaction a million notices
took six minutes before the first could be sent, and a web request that long is killed by its timeout.

Each chunk's transaction locks the fan-out's row, reads how many are stored, stores the next recipients of
its `audience` and counts them: two jobs storing the same fan-out take turns and store nobody twice, and a
job killed mid-chunk leaves nothing of that chunk. A job that died is replaced by `resume_stalled`, one of
the recurring jobs. Every notice carries the fan-out's start as its creation and its first rung's due time,
so a late chunk's lateness is counted from when the provider decided to tell its customers."""

from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import F

from frontline.core import clock
from frontline.core.db import batched
from frontline.notifications.audience import Recipient, pack, unpack
from frontline.notifications.ladders import choose_ladder
from frontline.notifications.models import FanOut, Ladder, Notification
from frontline.notifications.rungs import dispatch_soon
from frontline.scheduling.later import later

INSERT_BATCH = 2000  # rows a statement, within a chunk
JOB_SECONDS = 60  # a job stores for about this long and hands the rest to a new one (RQ times long jobs out)
STORE = "frontline.notifications.tasks.store_fanout"


def new_notification(customer_id, *, subject_kind, subject_id, title, body, urgency, ladder, now, **extra):
    first_wait = timedelta(minutes=ladder.steps[0]["wait_minutes"])
    return Notification(
        customer_id=customer_id,
        subject_kind=subject_kind,
        subject_id=str(subject_id),
        urgency=urgency,
        title=title,
        body=body,
        ladder_name=ladder.name,
        steps=ladder.steps,
        next_due_at=now + first_wait,
        created_at=now,
        **extra,
    )


def start(
    recipients: list[Recipient], *, subject_kind, subject_id, title, body, urgency, ladder: Ladder, by
) -> FanOut:
    """The fan-out and its first chunk of notices, in the caller's transaction; a job stores the rest once it
    commits (on the ladder chosen again for the same subject and urgency). The first notices are dispatched
    at the commit."""
    now = clock.now()
    chunk = settings.FRONTLINE_FANOUT_CHUNK  # notices a transaction: about a second's storing on PostgreSQL
    first, rest = recipients[:chunk], recipients[chunk:]
    fanout = FanOut.objects.create(
        subject_kind=subject_kind,
        subject_id=str(subject_id),
        title=title,
        body=body,
        urgency=urgency,
        total=len(recipients),  # notices: one per account, and one per person acting for several
        stored=len(first),
        stored_at=now,
        audience=[pack(r) for r in rest],
        created_at=now,
        created_by=by,
    )
    _create(fanout, first, ladder)
    transaction.on_commit(dispatch_soon)
    if rest:
        later(STORE, fanout.pk)
    return fanout


def store_rest(fanout_id: int, *, seconds: float = JOB_SECONDS) -> int:
    """Store the fan-out's remaining notices, a chunk per transaction, for about `seconds`; then a new job
    carries on. Answers how many this call stored."""
    audience = FanOut.objects.filter(pk=fanout_id).values_list("audience", flat=True).first()
    if not audience:
        return 0  # all stored (or no such fan-out)
    fanout = FanOut.objects.get(pk=fanout_id)  # without its audience (the manager defers it)
    ladder = choose_ladder(fanout.subject_kind, fanout.urgency)
    until, stored = monotonic() + seconds, 0
    while True:
        added, remaining = _store_chunk(fanout_id, audience, ladder)
        stored += added
        if not remaining:
            return stored
        if monotonic() >= until:
            later(STORE, fanout_id)
            return stored


def resume_stalled() -> int:
    """Fan-outs whose storing stopped (its worker died): a new job each, from where the last chunk ended."""
    since = clock.now() - timedelta(seconds=settings.FRONTLINE_FANOUT_STALLED_SECONDS)
    stalled = list(
        FanOut.objects.filter(stored__lt=F("total"), stored_at__lt=since).values_list("pk", flat=True)
    )
    for pk in stalled:
        later(STORE, pk)
    return len(stalled)


def _store_chunk(fanout_id: int, audience: list, ladder: Ladder) -> tuple[int, int]:
    """One chunk in one transaction: (notices stored, notices still to store)."""
    with transaction.atomic():
        fanout = FanOut.objects.select_for_update().get(pk=fanout_id)
        remaining = fanout.total - fanout.stored
        if remaining <= 0:
            return 0, 0
        # The audience holds every recipient after the first chunk, which the fan-out's start stored.
        offset = len(audience) - remaining
        chunk = [unpack(item) for item in audience[offset : offset + settings.FRONTLINE_FANOUT_CHUNK]]
        _create(fanout, chunk, ladder)
        fanout.stored += len(chunk)
        fanout.stored_at = clock.now()
        changed = ["stored", "stored_at"]
        if fanout.stored >= fanout.total:
            fanout.audience = []  # its work done: a million recipients are megabytes
            changed.append("audience")
        fanout.save(update_fields=changed)
        transaction.on_commit(dispatch_soon)
        return len(chunk), fanout.total - fanout.stored


def _create(fanout: FanOut, chunk: list[Recipient], ladder: Ladder) -> None:
    for batch in batched(chunk, INSERT_BATCH):
        Notification.objects.bulk_create(
            new_notification(
                r.customer_id,
                subject_kind=fanout.subject_kind,
                subject_id=fanout.subject_id,
                title=fanout.title,
                body=f"{fanout.body}\n\n{r.note}" if r.note else fanout.body,
                urgency=fanout.urgency,
                ladder=ladder,
                now=fanout.created_at,
                fanout=fanout,
                person_id=r.person_id,
                skip_people=list(r.skip_people),
            )
            for r in batch
        )
