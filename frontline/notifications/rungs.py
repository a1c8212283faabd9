"""The rung runner: claiming due notifications, sending a rung to each contact point, recording the answers
and moving each notification on. Every line about surviving a killed worker is here:

- claims are leases (claim_token, claimed_until): a worker killed anywhere leaves its claim to expire,
  and the rung runs again;
- attempts are committed as "sending" before any transport is called, and the answers written after;
- an attempt left "sending" becomes "outcome unknown" and is sent again with the same idempotency key
  and Message-ID, contact points that already succeeded are skipped, and a unique index allows one
  success per key."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from frontline.cases.services import reply_address
from frontline.core import clock
from frontline.core.doors import door
from frontline.core.texts import render_text
from frontline.customers.models import ContactPoint, ContactState
from frontline.customers.phones import takes_texts
from frontline.customers.queries import points_by_customer
from frontline.delivery.models import SUCCESSES, AttemptStatus, DeliveryAttempt
from frontline.delivery.services import condemn_contact, mail_domain
from frontline.notifications import events
from frontline.notifications.acknowledgements import ack_link
from frontline.notifications.models import (
    Notification,
    NotificationStatus,
    RungChannel,
)
from frontline.notifications.transports import Outgoing, Transport, TransportError, transport_for
from frontline.scheduling.later import later


def dispatch_soon() -> None:
    later("frontline.notifications.tasks.dispatch_ladders")


BATCH = 50  # notifications per job: one SMTP session, one job row, shared by the batch
RUN_RUNGS = "frontline.notifications.tasks.run_rungs"


def dispatch_due(*, limit: int = 2000) -> int:
    """Claim due rungs (new ones, and ones whose claim expired with a dead worker) and enqueue them in
    batches. No more than FRONTLINE_NOTIFY_IN_FLIGHT rungs are claimed at once: claims beyond what the
    workers can run before they expire would only be claimed again, and the queue would fill with jobs
    that find their claim gone. A finished batch claims the next (see tasks.run_rungs)."""

    now = clock.now()
    in_flight = (
        Notification.objects.filter(status=NotificationStatus.ACTIVE, claimed_until__gte=now)
        .exclude(claim_token="")
        .count()
    )
    room = min(limit, settings.FRONTLINE_NOTIFY_IN_FLIGHT - in_flight)
    claimed = 0
    while claimed < room:
        token, won = claim_due(size=min(BATCH, room - claimed))  # its own transaction
        if not won:
            break
        # The job counts, and starts, only with the claim it carries: now, or when a caller's transaction
        # commits (later writes the durable queue's row in that transaction, or hands RQ the job at commit).
        later(RUN_RUNGS, won, token)
        claimed += len(won)
    return claimed


@transaction.atomic
def claim_due(*, only: list[int] | None = None, size: int = BATCH) -> tuple[str, list[tuple[int, int]]]:
    """Claim up to a batch of due rungs under one new token: (token, [(notification id, rung)]). Claims
    that expired (their worker died) come first, then rungs never claimed, oldest due first.

    Rows another worker is claiming at this moment are skipped, not waited for (PostgreSQL's SKIP LOCKED;
    SQLite's one writer claims alone): workers finishing batches together otherwise all chose the same
    oldest fifty, and all but one waited on their locks to claim nothing."""
    now = clock.now()
    active = Notification.objects.filter(status=NotificationStatus.ACTIVE).select_for_update(skip_locked=True)
    if only is not None:
        active = active.filter(pk__in=only)
    expired = active.exclude(claim_token="").filter(claimed_until__lt=now, next_due_at__lte=now)
    fresh = active.filter(claim_token="", next_due_at__lte=now)
    ids = list(expired.order_by("claimed_until").values_list("pk", flat=True)[:size])
    if len(ids) < size:
        ids += list(fresh.order_by("next_due_at").values_list("pk", flat=True)[: size - len(ids)])
    if not ids:
        return "", []
    token = secrets.token_hex(16)
    hold = timedelta(seconds=settings.FRONTLINE_NOTIFY_CLAIM_SECONDS * clock.speed())
    # By id alone: the rows are ours, locked by the reads above until this transaction ends. Repeating their
    # conditions led PostgreSQL to scan every due notification for each batch (9 ms a claim at 100,000).
    Notification.objects.filter(pk__in=ids).update(claim_token=token, claimed_until=now + hold)
    # Read back by id (another worker may have taken some first): by the token alone no index serves, and
    # with a million notices each batch's read scanned them all.
    claimed = Notification.objects.filter(pk__in=ids, claim_token=token)
    return token, list(claimed.values_list("pk", "next_step"))


def _textable(numbers: list[ContactPoint]) -> list[ContactPoint]:
    """Of the numbers a text rung would go to, those that can take a text; the verified ones when there are
    any (a code by text proved them), else the rest."""
    textable = [p for p in numbers if takes_texts(p.normalized or p.value, p.label)]
    verified = [p for p in textable if p.state == ContactState.VERIFIED]
    return verified or textable


def run_rungs(claimed: list, token: str) -> dict:
    """Run the claimed rung of each notification in a batch, in three steps: one transaction commits an
    attempt "sending" for every contact point of the batch; the transports are called (one SMTP session
    for the batch); one transaction records every answer and moves each notification on. A worker killed
    in the middle step leaves attempts "sending": the rerun marks them "outcome unknown" and sends again
    with the same keys."""
    wanted = {pk: step for pk, step in claimed}
    batch = [
        n
        for n in Notification.objects.select_related("customer", "case").filter(
            pk__in=wanted, claim_token=token, status=NotificationStatus.ACTIVE
        )
        if n.next_step == wanted[n.pk]
    ]  # the others were acknowledged meanwhile, or done by a worker that claimed them after ours expired
    transports: dict[str, Transport] = {}
    try:
        plan = _plan(batch, transports)
        attempts, reached = _commit_sending(plan)
        for (_notification, transport, _point, outgoing), attempt in zip(plan, attempts, strict=True):
            if attempt is not None:
                _call(transport, outgoing, attempt)
    finally:
        for transport in transports.values():
            transport.close()
    moved = _record_answers(batch, token, [a for a in attempts if a is not None], reached)
    return {"ran": moved, "skipped": len(claimed) - moved}


def run_rung(pk: int, step: int, token: str) -> bool:
    """One notification's rung: see `run_rungs`."""
    return run_rungs([(pk, step)], token)["ran"] == 1


def _plan(batch: list[Notification], transports: dict) -> list[tuple]:
    """(notification, transport, contact point or None, outgoing) for every hand-over the batch needs."""
    for n in batch:
        channel = n.steps[n.next_step]["channel"]
        if channel not in transports:
            transports[channel] = transport_for(channel)
    kinds = {t.contact_kind for t in transports.values() if t.contact_kind}
    customer_ids = {n.customer_id for n in batch}
    working = ContactPoint.objects.filter(kind__in=kinds).exclude(state__in=ContactState.unusable())
    points = points_by_customer(customer_ids, working) if kinds else {}
    # The staff-call rung lists every number we hold, failing ones marked.
    every_phone = ContactPoint.objects.filter(kind="phone")
    phones = points_by_customer(customer_ids, every_phone) if RungChannel.PERSON in transports else {}
    plan = []
    for n in batch:
        rung = n.steps[n.next_step]
        transport = transports[rung["channel"]]
        numbers: tuple[str, ...] = ()
        if rung["channel"] == RungChannel.PERSON:
            targets = [None]
            numbers = tuple(
                p.value + (" (failing)" if p.state == ContactState.FAILING else "")
                for p in phones.get(n.customer_id, [])
            )
        else:
            targets = [p for p in points.get(n.customer_id, []) if p.kind == transport.contact_kind]
            if n.person_id:  # a person's own notice about several accounts: their points only
                targets = [p for p in targets if p.person_id == n.person_id]
            elif n.skip_people:  # those people have a notice of their own about this
                targets = [p for p in targets if p.person_id not in n.skip_people]
            if rung.get("contacts") == "verified":
                targets = [p for p in targets if p.state == ContactState.VERIFIED]
            if rung["channel"] == RungChannel.SMS:
                targets = _textable(targets)
        for point in targets:
            key = f"n{n.pk}.{n.next_step}.{point.pk if point else 'staff'}"
            plan.append((n, transport, point, _outgoing(n, key, point, numbers)))
    return plan


def _commit_sending(plan: list[tuple]) -> tuple[list[DeliveryAttempt | None], set[int]]:
    """Commit an attempt "sending" for each hand-over not already done. None where an earlier run of the
    rung reached that point (never send it twice on purpose). Also answers which notifications that
    earlier run reached."""
    keys = [outgoing.key for *_, outgoing in plan]
    earlier = list(
        DeliveryAttempt.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", "pk", "status"
        )
    )
    done = {key for key, _pk, status in earlier if status in SUCCESSES}
    interrupted = [pk for _key, pk, status in earlier if status == AttemptStatus.SENDING]
    reached = {n.pk for n, *_, outgoing in plan if outgoing.key in done}
    now = clock.now()
    new = [
        DeliveryAttempt(
            notification=n,
            step=n.next_step,
            idempotency_key=outgoing.key,
            case_id=n.case_id,
            customer_id=n.customer_id,
            contact_point=point,
            channel=transport.channel,
            address=point.value if point else "staff",
            header_message_id=outgoing.message_id if transport.channel == "email" else "",
            due_at=n.next_due_at,
            attempted_at=now,
        )
        for n, transport, point, outgoing in plan
        if outgoing.key not in done
    ]
    with transaction.atomic():
        if interrupted:
            DeliveryAttempt.objects.filter(pk__in=interrupted).update(
                status=AttemptStatus.UNKNOWN,
                reply_text="interrupted between the hand-over and our record: sent again with the same key",
            )
        created = iter(DeliveryAttempt.objects.bulk_create(new))
    return [None if outgoing.key in done else next(created) for *_, outgoing in plan], reached


def _call(transport: Transport, outgoing: Outgoing, attempt: DeliveryAttempt) -> None:
    """Hand over one message and keep the answer on the attempt (saved by the caller)."""
    try:
        answer = transport.send(outgoing)
        attempt.status = AttemptStatus.ACCEPTED
        attempt.reply_code, attempt.reply_text = answer.code, answer.text
    except TransportError as exc:
        attempt.status = AttemptStatus.REFUSED if exc.permanent else AttemptStatus.DEFERRED
        attempt.reply_code, attempt.reply_text = exc.code, exc.text[:4000]
    except Exception as exc:  # a transport's bug is still a failed send, recorded, never swallowed
        attempt.status = AttemptStatus.DEFERRED
        attempt.reply_text = f"{type(exc).__name__}: {exc}"[:4000]
    attempt.answered_at = clock.now()


_ANSWER_FIELDS = ["status", "reply_code", "reply_text", "answered_at"]


def _record_answers(batch: list[Notification], token: str, attempts: list, reached: set[int]) -> int:
    """One transaction: every answer, the contact points it proves or condemns, and each notification
    moved on (its next rung due after its wait, or at once when nothing got through). Answers how many
    notifications moved."""
    now = clock.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                _save_answers(attempts)
        except IntegrityError:  # a key's success was recorded by another worker meanwhile
            for attempt in attempts:
                try:
                    with transaction.atomic():
                        attempt.save(update_fields=_ANSWER_FIELDS)
                except IntegrityError:  # the first success stands; this one is known only as a repeat
                    attempt.status = AttemptStatus.UNKNOWN
                    attempt.reply_text += " (a second hand-over of the same key; the first success stands)"
                    attempt.save(update_fields=_ANSWER_FIELDS)
                    reached.add(attempt.notification_id)
        proven = [
            a.contact_point_id for a in attempts if a.status == AttemptStatus.ACCEPTED and a.contact_point_id
        ]
        if proven:
            ContactPoint.objects.filter(pk__in=proven).update(last_delivery_ok_at=now)
        for attempt in attempts:
            if attempt.status == AttemptStatus.ACCEPTED:
                reached.add(attempt.notification_id)
            elif attempt.status == AttemptStatus.REFUSED and attempt.contact_point_id:
                condemn_contact(attempt, f"{attempt.reply_code or 'permanent'}", attempt.reply_text)
        moved = 0
        for n in batch:
            moved += _move_on(n, token, now, n.pk in reached)
    return moved


def _save_answers(attempts: list[DeliveryAttempt]) -> None:
    """The answers as one prepared UPDATE run per row (the ORM's bulk_update builds a CASE per field and
    row, which cost more than the sends it records)."""
    table = DeliveryAttempt._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, reply_code = %s, reply_text = %s, answered_at = %s "
            "WHERE id = %s",
            [(a.status, a.reply_code, a.reply_text, adapt(a.answered_at), a.pk) for a in attempts],
        )


_MOVE_ON = (
    "UPDATE notifications_notification SET next_step = %s, next_due_at = %s, claim_token = '', "
    "claimed_until = NULL, status = %s, finished_at = %s "
    "WHERE id = %s AND status = 'active' AND next_step = %s AND claim_token = %s"
)


def _move_on(n: Notification, token: str, now, reached: bool) -> int:
    step, following = n.next_step, n.next_step + 1
    finished = following >= len(n.steps)
    wait = timedelta(minutes=n.steps[following]["wait_minutes"]) if not finished and reached else timedelta(0)
    adapt = connection.ops.adapt_datetimefield_value
    status = NotificationStatus.EXHAUSTED if finished else NotificationStatus.ACTIVE
    with connection.cursor() as cursor:  # plain SQL: it runs once per notification and rung
        due, ended = (None, adapt(now)) if finished else (adapt(now + wait), None)
        cursor.execute(_MOVE_ON, [following, due, status, ended, n.pk, step, token])
        moved = cursor.rowcount
    if moved and finished:
        events.notification_exhausted(notification=n)
    return moved


def _attachments(notification: Notification, point: ContactPoint | None) -> tuple:
    """What other apps attach to a notice sent by email (a maintenance notice's calendar entry)."""
    if point is None or point.kind != "email":
        return ()
    attachers = door("FRONTLINE_NOTICE_ATTACHMENTS")
    return tuple(a for attach in attachers for a in attach(notification, point.normalized))


def _outgoing(notification: Notification, key: str, point: ContactPoint | None, numbers=()) -> Outgoing:
    ack_url = ack_link(notification)
    return Outgoing(
        key=key,
        address=point.normalized if point else "",
        title=notification.title,
        body=render_text("notifications/rung", body=notification.body, ack_url=ack_url),
        ack_url=ack_url,
        message_id=f"<notify.{key}@{mail_domain()}>",
        reply_to=reply_address(notification.case) if notification.case_id else "",
        customer_name=notification.customer.name,
        numbers=numbers,
        secret=point.signing_secret if point else "",
        notification_id=notification.pk,
        customer_id=notification.customer_id,
        case_id=notification.case_id,
        attachments=_attachments(notification, point),
    )


def send_and_record(attempt: DeliveryAttempt, transport: Transport, outgoing: Outgoing) -> None:
    """One hand-over outside a ladder (a verification request), for an attempt already committed as
    "sending": the answer recorded, the contact point proven or condemned."""
    _call(transport, outgoing, attempt)
    point = attempt.contact_point
    with transaction.atomic():
        attempt.save(update_fields=_ANSWER_FIELDS)
        if attempt.status == AttemptStatus.ACCEPTED and point is not None:
            ContactPoint.objects.filter(pk=point.pk).update(last_delivery_ok_at=attempt.answered_at)
        elif attempt.status == AttemptStatus.REFUSED and point is not None:
            condemn_contact(attempt, f"{attempt.reply_code or 'permanent'}", attempt.reply_text)


def escalate_after_bounce(attempt: DeliveryAttempt) -> bool:
    """A rung whose every accepted message later bounced reached nobody: its next rung is due now, not
    after the wait meant for a customer who has the message. Answers whether the ladder was hastened."""
    if attempt.notification_id is None or attempt.step is None:
        return False
    still_reached = (
        DeliveryAttempt.objects.filter(
            notification_id=attempt.notification_id, step=attempt.step, status__in=SUCCESSES
        )
        .exclude(pk=attempt.pk)
        .exists()
    )
    if still_reached:
        return False
    now = clock.now()
    return bool(
        Notification.objects.filter(
            pk=attempt.notification_id,
            status=NotificationStatus.ACTIVE,
            next_step=attempt.step + 1,
            next_due_at__gt=now,
            claim_token="",
        ).update(next_due_at=now)
    )
